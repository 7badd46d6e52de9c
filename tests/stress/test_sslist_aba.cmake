# Variants of tests/stress/test_sslist_aba.c (included by tests/CMakeLists.txt with
# LA_TEST_TARGET / LA_TEST_NAME set for the default-mode test).
#
#   stress/test_sslist_aba_locked  the same source on a list forced into locked mode
#   sslist_aba_mutant              NOT a ctest test: the same source linked with its own
#                                  copy of src/sslist.c built with
#                                  LA_SSLIST_MUTANT_DROP_SEQUENCE=1 (pushes stop bumping
#                                  the sequence, so the CAS compares depth and pointer
#                                  only). Its own sslist.o satisfies every la_sslist_*
#                                  reference, so the library's copy is never linked.
#                                  Run by hand; it is expected to fail the census:
#                                    cmake --build <dir> --target sslist_aba_mutant
#                                    <dir>/tests/sslist_aba_mutant
set(_sslist_aba_src ${CMAKE_CURRENT_SOURCE_DIR}/stress/test_sslist_aba.c)

add_executable(stress_test_sslist_aba_locked ${_sslist_aba_src})
target_compile_definitions(stress_test_sslist_aba_locked PRIVATE LA_TEST_SSLIST_LOCKED=1)
target_link_libraries(stress_test_sslist_aba_locked PRIVATE la_test_support lookaside_static lookaside_warnings)
target_include_directories(stress_test_sslist_aba_locked PRIVATE ${PROJECT_SOURCE_DIR}/src)
add_test(NAME stress/test_sslist_aba_locked COMMAND stress_test_sslist_aba_locked)
set_tests_properties(stress/test_sslist_aba_locked PROPERTIES LABELS stress TIMEOUT 300
  SKIP_RETURN_CODE 77 ENVIRONMENT "LA_TEST_SOURCE_DIR=${PROJECT_SOURCE_DIR}")

add_executable(sslist_aba_mutant ${_sslist_aba_src} ${PROJECT_SOURCE_DIR}/src/sslist.c)
target_compile_definitions(sslist_aba_mutant PRIVATE LA_TEST_SSLIST_MUTANT=1
  LA_SSLIST_MUTANT_DROP_SEQUENCE=1 LA_BUILDING_LIBRARY=1)
target_include_directories(sslist_aba_mutant PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(sslist_aba_mutant PRIVATE la_test_support lookaside_static lookaside_warnings)

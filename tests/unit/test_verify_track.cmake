# Valgrind memcheck must flag a read of a cached block (and nothing in a correct
# program). Registered only when the library was built with <valgrind/memcheck.h>,
# valgrind is installed and no sanitizer is compiled in.
if(LA_HAVE_VALGRIND_H AND LOOKASIDE_VALGRIND AND NOT LOOKASIDE_SANITIZE)
  find_program(LA_VALGRIND_EXE valgrind)
  if(LA_VALGRIND_EXE)
    add_test(NAME ${LA_TEST_NAME}_valgrind_flags
      COMMAND ${LA_VALGRIND_EXE} --error-exitcode=1 $<TARGET_FILE:${LA_TEST_TARGET}> touch-cached)
    set_tests_properties(${LA_TEST_NAME}_valgrind_flags PROPERTIES LABELS unit TIMEOUT 300
      ENVIRONMENT "LA_LOOKASIDE_TUNER=0"
      PASS_REGULAR_EXPRESSION "Invalid read of size 1.*touch_cached")
    add_test(NAME ${LA_TEST_NAME}_valgrind_clean
      COMMAND ${LA_VALGRIND_EXE} --error-exitcode=1 $<TARGET_FILE:${LA_TEST_TARGET}> clean)
    set_tests_properties(${LA_TEST_NAME}_valgrind_clean PROPERTIES LABELS unit TIMEOUT 300
      ENVIRONMENT "LA_LOOKASIDE_TUNER=0")
  endif()
endif()

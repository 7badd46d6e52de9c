# g++ 12 lexes C++ before it reads <lookaside/wdk.h>'s "-Wmultichar" pragma, so the
# multi-character pool tags ('vrDT') of driver code need the switch on the command
# line (clang++ honours the pragma). Everything else stays -Wall -Wextra -Werror.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(${LA_TEST_TARGET} PRIVATE -Wno-multichar)
endif()
set_tests_properties(${LA_TEST_NAME} PROPERTIES ENVIRONMENT
  "LA_TEST_SOURCE_DIR=${PROJECT_SOURCE_DIR};LA_LOOKASIDE_TUNER=0")

# Run once with a good LA_VERIFY and once (a second entry) with an unknown item.
set_property(TEST ${LA_TEST_NAME} APPEND PROPERTY ENVIRONMENT "LA_VERIFY=caches=env.*,depth0")
add_test(NAME ${LA_TEST_NAME}_bad COMMAND ${LA_TEST_TARGET})
set_tests_properties(${LA_TEST_NAME}_bad PROPERTIES LABELS api TIMEOUT 300
  ENVIRONMENT "LA_VERIFY=caches=env.*,bogus")

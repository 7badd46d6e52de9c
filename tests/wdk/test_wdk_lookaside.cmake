# Only the test's own ExAdjustLookasideDepth calls may move Depth: keep the
# background tuner off so the callback counts and depths are deterministic.
set_tests_properties(${LA_TEST_NAME} PROPERTIES ENVIRONMENT
  "LA_TEST_SOURCE_DIR=${PROJECT_SOURCE_DIR};LA_LOOKASIDE_TUNER=0")

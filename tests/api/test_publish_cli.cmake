# The CLI test runs the `lookaside` tool: pass its path, build it first.
if(TARGET lookaside_tool)
  target_compile_definitions(${LA_TEST_TARGET} PRIVATE LA_TOOL_PATH="$<TARGET_FILE:lookaside_tool>")
  add_dependencies(${LA_TEST_TARGET} lookaside_tool)
  set_property(TEST ${LA_TEST_NAME} APPEND PROPERTY LABELS tools)
else()
  set_tests_properties(${LA_TEST_NAME} PROPERTIES DISABLED TRUE)
endif()

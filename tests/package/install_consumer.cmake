# Install the built tree into a temporary prefix, then build a consumer program
# against the installed copy twice: once through pkg-config, once through
# find_package(lookaside). Run with cmake -P (see tests/CMakeLists.txt).
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix}
  RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "install into ${prefix} failed: ${rc}")
endif()
foreach(f include/lookaside/lookaside.h include/lookaside/config.h lib/liblookaside.a lib/pkgconfig/lookaside.pc lib/cmake/lookaside/lookasideConfig.cmake)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "installed tree lacks ${f}")
  endif()
endforeach()

# 1. pkg-config, static link (no rpath games).
set(ENV{PKG_CONFIG_PATH} ${prefix}/lib/pkgconfig)
execute_process(COMMAND pkg-config --cflags --libs --static lookaside
  OUTPUT_VARIABLE pc_flags RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pkg-config does not know lookaside")
endif()
separate_arguments(pc_list UNIX_COMMAND "${pc_flags}")
string(REPLACE "-llookaside" "${prefix}/lib/liblookaside.a" pc_list "${pc_list}")
execute_process(COMMAND ${C_COMPILER} -std=c11 -Wall -Wextra -Werror ${SOURCE_DIR}/tests/package/consumer/main.c ${pc_list}
  -o ${WORK_DIR}/consumer_pc RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pkg-config consumer failed to build")
endif()
execute_process(COMMAND ${WORK_DIR}/consumer_pc RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0 OR NOT out MATCHES "consumer ok")
  message(FATAL_ERROR "pkg-config consumer failed to run: ${rc} ${out}")
endif()

# 2. find_package(lookaside) → lookaside::lookaside (shared library).
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/package/consumer -B ${WORK_DIR}/cmake_build
  -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_C_COMPILER=${C_COMPILER} RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "find_package consumer failed to configure")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/cmake_build RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "find_package consumer failed to build")
endif()
execute_process(COMMAND ${WORK_DIR}/cmake_build/consumer RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0 OR NOT out MATCHES "consumer ok")
  message(FATAL_ERROR "find_package consumer failed to run: ${rc} ${out}")
endif()
message(STATUS "consumer built and ran through pkg-config and find_package")

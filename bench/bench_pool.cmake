# Peer of bench_pool: mimalloc (Debian libmimalloc-dev), optional. Linking mimalloc
# replaces malloc in the whole process, so it gets its own binary, bench_pool_mimalloc,
# built from the same source with BENCH_PEER_MIMALLOC; bench_pool runs it as a child.
# glibc-tuned needs no extra binary: bench_pool re-executes itself with GLIBC_TUNABLES.
find_path(LA_MIMALLOC_INCLUDE_DIR mimalloc.h)
find_library(LA_MIMALLOC_LIBRARY mimalloc)
if(LA_MIMALLOC_INCLUDE_DIR AND LA_MIMALLOC_LIBRARY)
  add_executable(bench_pool_mimalloc ${CMAKE_CURRENT_SOURCE_DIR}/bench_pool.c)
  target_compile_definitions(bench_pool_mimalloc PRIVATE BENCH_PEER_MIMALLOC=1)
  target_include_directories(bench_pool_mimalloc PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_include_directories(bench_pool_mimalloc SYSTEM PRIVATE ${LA_MIMALLOC_INCLUDE_DIR})
  target_link_libraries(bench_pool_mimalloc PRIVATE la_bench_harness lookaside_static
                        lookaside_warnings ${LA_MIMALLOC_LIBRARY})
else()
  message(STATUS "bench_pool: mimalloc (mimalloc.h, libmimalloc) not found: mimalloc peer skipped")
endif()

# Peers of bench_lookaside, each in its own process because linking them replaces
# (or adds) a malloc: bench_lookaside_mimalloc (mi_malloc / mi_free, Debian
# libmimalloc-dev), bench_lookaside_jemalloc (-ljemalloc replaces malloc, Debian
# libjemalloc-dev) and bench_lookaside_tcmalloc (-ltcmalloc_minimal, Debian
# libgoogle-perftools-dev). Missing peers are skipped with a message.
# glibc-tuned needs no binary: bench_lookaside re-runs itself with GLIBC_TUNABLES.
function(la_bench_lookaside_peer name define lib)
  add_executable(bench_lookaside_${name} ${CMAKE_CURRENT_SOURCE_DIR}/bench_lookaside.c)
  target_compile_definitions(bench_lookaside_${name} PRIVATE ${define}=1)
  target_include_directories(bench_lookaside_${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(bench_lookaside_${name} PRIVATE la_bench_harness lookaside_static
                        lookaside_warnings ${lib} ${CMAKE_DL_LIBS})
endfunction()

find_path(LA_LK_MIMALLOC_INCLUDE mimalloc.h)
find_library(LA_LK_MIMALLOC_LIB mimalloc)
if(LA_LK_MIMALLOC_INCLUDE AND LA_LK_MIMALLOC_LIB)
  la_bench_lookaside_peer(mimalloc BENCH_PEER_MIMALLOC ${LA_LK_MIMALLOC_LIB})
  target_include_directories(bench_lookaside_mimalloc SYSTEM PRIVATE ${LA_LK_MIMALLOC_INCLUDE})
else()
  message(STATUS "bench_lookaside: mimalloc not found: peer skipped")
endif()

find_library(LA_LK_JEMALLOC_LIB jemalloc)
if(LA_LK_JEMALLOC_LIB)
  la_bench_lookaside_peer(jemalloc BENCH_PEER_JEMALLOC ${LA_LK_JEMALLOC_LIB})
else()
  message(STATUS "bench_lookaside: jemalloc not found: peer skipped")
endif()

find_library(LA_LK_TCMALLOC_LIB tcmalloc_minimal)
if(LA_LK_TCMALLOC_LIB)
  la_bench_lookaside_peer(tcmalloc BENCH_PEER_TCMALLOC ${LA_LK_TCMALLOC_LIB})
else()
  message(STATUS "bench_lookaside: tcmalloc_minimal not found: peer skipped")
endif()
target_link_libraries(${BENCH_TARGET} PRIVATE ${CMAKE_DL_LIBS})

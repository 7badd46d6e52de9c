# The C++ test uses std::thread.
find_package(Threads REQUIRED)
target_link_libraries(${LA_TEST_TARGET} PRIVATE Threads::Threads)

# test_region_huge changes /proc/sys/vm/nr_hugepages (and restores it): keep it
# apart from every other test that reserves huge pages.
set_tests_properties(${LA_TEST_NAME} PROPERTIES RESOURCE_LOCK hugetlb)

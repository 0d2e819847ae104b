# aae_add_layer(NAME DIR [DEPS ...]): one static library per layer folder.
# Sources are every *.cc under DIR except *_test.cc; tests beside the code go into
# ${NAME}_tests, a GoogleTest executable registered with CTest.
if(NOT CMAKE_CROSSCOMPILING)  # cross builds compile GoogleTest from source (CMakeLists.txt)
  find_package(GTest)
endif()

function(aae_add_layer name dir)
  cmake_parse_arguments(ARG "" "" "DEPS;TEST_DEPS" ${ARGN})
  file(GLOB_RECURSE all_sources CONFIGURE_DEPENDS "${dir}/*.cc")
  set(sources "")
  set(tests "")
  foreach(f ${all_sources})
    if(f MATCHES "_test\\.cc$")
      list(APPEND tests ${f})
    else()
      list(APPEND sources ${f})
    endif()
  endforeach()
  add_library(${name} STATIC ${sources})
  # include/ holds the public C headers (sphere_aae/aae.h, sphere_aae/aae_model_lib.h).
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/include
                             ${PROJECT_BINARY_DIR}/include)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  if(AAE_BUILD_TESTS AND tests)
    add_executable(${name}_tests ${tests})
    target_link_libraries(${name}_tests PRIVATE ${name} aae_test_support ${ARG_TEST_DEPS}
                          GTest::gtest GTest::gtest_main)
    include(GoogleTest)
    gtest_discover_tests(${name}_tests DISCOVERY_TIMEOUT 60
                         PROPERTIES ENVIRONMENT "AAE_TESTDATA_DIR=${AAE_TESTDATA_DIR}")
  endif()
endfunction()

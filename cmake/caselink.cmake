# One helper per kind of target, so every module is declared the same way.
#
#   caselink_library(name SOURCES ... DEPS ...)        a static library, includes from repo root
#   caselink_executable(name SOURCES ... DEPS ...)      a service, tool or benchmark binary, linked
#       with the allocator CASELINK_ALLOCATOR names (jemalloc by default), written to <build>/bin
#   caselink_test(name LABEL unit|integration|e2e SOURCES ... DEPS ...)
#       a GoogleTest binary registered with ctest under the given label. Integration and e2e
#       tests find the broker through CASELINK_KAFKA_BOOTSTRAP (scripts/test.sh sets it). A binary in
#       which a test skipped (GTEST_SKIP, e.g. no broker) and none failed exits 77 and ctest
#       shows it as skipped ("Not Run"), never as passed (tests/support/gtest_main.cc).
#       Names say the tier: unit `<area>[_<what>]_test` (core_test, sdk_test),
#       integration `it_<area>[_<what>]` (it_feedback_crash), e2e `e2e_<what>`; script tests in
#       tests/ use their folder as prefix (contract_*, fuzz_*, clients_*, deploy_*).

set(CASELINK_WARNINGS -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
if(CASELINK_WERROR)
  list(APPEND CASELINK_WARNINGS -Werror)
endif()
if(CASELINK_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

function(_caselink_common target)
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/proto)
  target_compile_options(${target} PRIVATE ${CASELINK_WARNINGS})
endfunction()

function(caselink_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  _caselink_common(${name})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

function(caselink_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  _caselink_common(${name})
  # Every service, tool and benchmark binary in <build>/bin, wherever its source folder is: the
  # scripts, tests and docs name one place, and moving a folder moves no binary.
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  if(CASELINK_ALLOCATOR STREQUAL "jemalloc")
    # --no-as-needed: no symbol of the binary names jemalloc (it replaces malloc by interposition),
    # so a linker that drops unreferenced libraries would silently drop it.
    target_link_libraries(${name} PRIVATE "-Wl,--push-state,--no-as-needed" ${JEMALLOC_LINK_LIBRARIES} "-Wl,--pop-state")
  endif()
endfunction()

function(caselink_test name)
  cmake_parse_arguments(ARG "" "LABEL;TIMEOUT" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_LABEL)
    message(FATAL_ERROR "caselink_test(${name}) needs LABEL unit|integration|e2e")
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  _caselink_common(${name})
  # caselink_gtest_main (tests/support) instead of GTest::gtest_main: it exits 77 on a skip.
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} caselink_gtest_main GTest::gtest GTest::gmock)
  add_test(NAME ${name} COMMAND ${name} --gtest_color=no)
  set_tests_properties(${name} PROPERTIES LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT} SKIP_RETURN_CODE 77
    ENVIRONMENT "CASELINK_BUILD_DIR=${PROJECT_BINARY_DIR};CASELINK_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
  if(NOT ARG_LABEL STREQUAL "unit")
    caselink_broker_bound(${name})
  endif()
endfunction()

# Tests against a broker run one at a time (one lock, not RUN_SERIAL): the crash tests kill
# processes and the outage tests stop the shared broker, and two such tests at once on two cores
# only add noise. Unlike RUN_SERIAL, the lock lets unit tests and the niced fuzz run
# (tests/fuzz) use the CPU a broker-bound test leaves idle while it waits on the broker.
function(caselink_broker_bound)
  set_tests_properties(${ARGN} PROPERTIES RESOURCE_LOCK caselink_broker)
endfunction()

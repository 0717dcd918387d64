# cmake -DCXX=... -DSOURCE=... -DINCLUDE=... -P check_nodiscard.cmake
# Compiles SOURCE twice (syntax only): with WEFT_FORGET every line marked FORGOTTEN must draw
# an "ignoring return value" warning (g++ and clang word it so); without it, the same code with its co_awaits must
# compile without a single warning. Fails with the compiler's output otherwise.
file(STRINGS ${SOURCE} marked REGEX "// FORGOTTEN")
list(LENGTH marked expected)
execute_process(COMMAND ${CXX} -std=c++20 -fsyntax-only -Wall -Wextra -DWEFT_FORGET -I${INCLUDE} ${SOURCE}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(REGEX MATCHALL "warning: ignoring return(ed)? value" hits "${err}")
list(LENGTH hits found)
if(NOT found EQUAL expected)
  message(FATAL_ERROR "expected ${expected} 'ignoring return value' warnings for the forgotten co_awaits, got ${found}:\n${err}")
endif()
execute_process(COMMAND ${CXX} -std=c++20 -fsyntax-only -Wall -Wextra -Werror -I${INCLUDE} ${SOURCE}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the correct version does not compile cleanly:\n${err}")
endif()
message(STATUS "${found} forgotten co_awaits warned, the awaited version is clean")

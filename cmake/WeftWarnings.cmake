# weft_warnings(target): the warning set every project target builds with.
# Third-party headers come in as SYSTEM includes, so -Werror only judges our own code.
function(weft_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror)
  # g++ 12 at -O2/-O3 reports -Wrestrict inside libstdc++ for plain `"text" + std::string`
  # (GCC bugs 105329, 105651): a false positive only Release builds see. Keep it visible,
  # but do not let it fail the build.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-error=restrict)
  endif()
  # ASan/UBSan instrumentation defeats g++'s flow analysis: -Wmaybe-uninitialized fires on
  # values that are always set (GCC documents sanitizers as a source of false positives).
  # The plain builds keep it fatal.
  if(WEFT_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-error=maybe-uninitialized)
  endif()
endfunction()

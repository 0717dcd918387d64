# weft_warnings(target): the warning set every project target builds with.
# Third-party headers come in as SYSTEM includes, so -Werror only judges our own code.
function(weft_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror)
endfunction()

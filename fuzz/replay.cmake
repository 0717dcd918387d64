# Included at the end of tests/CMakeLists.txt: every fuzz target built with an ordinary
# main() (fuzz/replay_main.cpp) as <target>_replay, and a test fuzz.<target> that runs it once
# over fuzz/corpus/<target>/, so what the fuzzer once found stays fixed. No libFuzzer needed:
# this builds with g++ in the normal test build (and under the asan preset, with ASan+UBSan).
set(weft_fuzz_dir ${PROJECT_SOURCE_DIR}/fuzz)
file(GLOB weft_fuzz_sources CONFIGURE_DEPENDS ${weft_fuzz_dir}/*_fuzz.cpp)
weft_layer_objects(weft_fuzz_objects wire)
include(${weft_fuzz_dir}/engines.cmake)  # weft_fuzz_engine_<target>: a service engine's sources
foreach(source IN LISTS weft_fuzz_sources)
  get_filename_component(name ${source} NAME_WE)
  string(REGEX REPLACE "_fuzz$" "" target ${name})
  add_executable(${target}_replay ${weft_fuzz_dir}/replay_main.cpp ${source} ${weft_fuzz_objects}
                 ${weft_fuzz_engine_${target}})
  target_include_directories(${target}_replay PRIVATE ${PROJECT_SOURCE_DIR}/include ${weft_fuzz_dir})
  target_compile_features(${target}_replay PRIVATE cxx_std_20)
  weft_warnings(${target}_replay)
  add_test(NAME fuzz.${target} COMMAND ${target}_replay ${weft_fuzz_dir}/corpus/${target})
  set_tests_properties(fuzz.${target} PROPERTIES TIMEOUT 300)
endforeach()

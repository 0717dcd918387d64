# The sources of each service engine a fuzz target drives, for fuzz/CMakeLists.txt (libFuzzer)
# and fuzz/replay.cmake (the corpus replayed by `make test`). An engine is pure code over
# wire/ and net/ (DESIGN.md), but the services layer's objects also hold the io/ adapters,
# which clang 14 cannot build with the fuzzer's instrumentation: a target compiles its
# engine's own sources instead. weft_fuzz_engine_<target> lists them.
set(weft_services_src ${PROJECT_SOURCE_DIR}/src/services)
file(GLOB weft_fuzz_engine_zone_file CONFIGURE_DEPENDS ${weft_services_src}/dns/zone_*.cpp)
file(GLOB weft_fuzz_engine_dns_answer CONFIGURE_DEPENDS ${weft_services_src}/dns/zone_*.cpp
     ${weft_services_src}/dns/answer*.cpp ${weft_services_src}/dns/response_writer.cpp)
set(weft_fuzz_engine_http_session
    ${weft_services_src}/http/session.cpp ${weft_services_src}/http/file_cache.cpp
    ${weft_services_src}/http/site.cpp ${weft_services_src}/http/pages.cpp
    ${weft_services_src}/http/request_path.cpp ${weft_services_src}/http/http_date.cpp
    ${weft_services_src}/http/content_type.cpp)

# Install-time half of weft.pc (the top-level CMakeLists.txt configures the rest): its prefix=
# is where the files end up, which only the install knows: /usr in the Debian packages (CPack
# installs with DESTDIR), DIR for `cmake --install --prefix DIR`. DESTDIR is not part of it.
file(READ "${WEFT_PC_TEMPLATE}" pc)
string(REPLACE "@WEFT_PC_PREFIX@" "${CMAKE_INSTALL_PREFIX}" pc "${pc}")
set(pc_file "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/${WEFT_PC_LIBDIR}/pkgconfig/weft.pc")
message(STATUS "Installing: ${pc_file}")
file(WRITE "${pc_file}" "${pc}")
list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${pc_file}")  # so that install_manifest.txt lists it

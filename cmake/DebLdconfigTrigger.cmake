# CPack post-build script (CPACK_POST_BUILD_SCRIPTS, see cmake/WeftPackaging.cmake): in the
# runtime library package, replaces the postinst and postrm CPack writes, which call ldconfig,
# by the `activate-noawait ldconfig` trigger Debian uses since 2015 (lintian: an error without
# the trigger, a warning for each script). CPack 3.25 always writes those scripts for a
# library under /usr/lib and has no switch to leave them out, so the package is unpacked,
# changed and rebuilt with the same compression; its files and md5sums stay as they are.
foreach(deb IN LISTS CPACK_PACKAGE_FILES)
  get_filename_component(name ${deb} NAME)
  if(NOT name MATCHES "^${CPACK_DEBIAN_LIB_PACKAGE_NAME}_.*\\.deb$")
    continue()
  endif()
  set(tree ${CPACK_TOPLEVEL_DIRECTORY}/ldconfig-trigger)
  file(REMOVE_RECURSE ${tree})
  execute_process(COMMAND dpkg-deb -R ${deb} ${tree} COMMAND_ERROR_IS_FATAL ANY)
  file(REMOVE ${tree}/DEBIAN/postinst ${tree}/DEBIAN/postrm)
  file(WRITE ${tree}/DEBIAN/triggers "activate-noawait ldconfig\n")
  file(CHMOD ${tree}/DEBIAN/triggers PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  execute_process(COMMAND dpkg-deb --root-owner-group -Z${CPACK_DEBIAN_COMPRESSION_TYPE} -b ${tree} ${deb}
                  OUTPUT_QUIET COMMAND_ERROR_IS_FATAL ANY)
  file(REMOVE_RECURSE ${tree})
endforeach()

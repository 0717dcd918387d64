# Debian packages of weft, made by CPack from the install components of CMakeLists.txt
# (`make package`: cpack -G DEB in build/release, the .debs in build/release/packages/).
#
#   weft             the CLI, its man pages and bash completion                 (component cli)
#   libweft<SOVER>   the shared library, what linked programs load at run time  (component lib)
#   libweft-dev      headers, static library, libweft.so link, CMake files, weft.pc, examples
#
# Why CPack and not dpkg-buildpackage: the packages are cut from the install rules the project
# already has (the same `cmake --install` that tests/integration/install_test.sh checks), from
# the build `make test` has just tested, and their version is project()'s, so there is no
# debian/ tree to keep in step with CMake and no second full build. What debhelper would add,
# done here: dpkg-shlibdeps for run-time dependencies, a shlibs file and the ldconfig trigger
# for the shared library, stripped binaries, compressed man pages and changelogs, a copyright
# file per package, root-owned files with Debian's permissions.
#
# Why a separate runtime package: Debian's shared-library policy (and lintian) want the
# libweft.so.<SOVER> that programs load in a package named after its SONAME, so that a program
# built against libweft-dev needs only that small package at run time and two SONAMEs can be
# installed side by side. The CLI links libweft statically, so `weft` needs none of them.

if(NOT TARGET weft_cli OR NOT TARGET weft_shared)
  # The packages need the CLI and both forms of the library (a BUILD_SHARED_LIBS or
  # WEFT_BUILD_TOOLS=OFF build has not got them): no package target then.
  return()
endif()

set(WEFT_PACKAGE_MAINTAINER "weft maintainers <weft@example.org>" CACHE STRING
    "Maintainer field of the Debian packages (name <address>)")
set(weft_lib_package libweft${WEFT_SOVERSION})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME weft)
set(CPACK_PACKAGE_VENDOR weft)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${WEFT_PACKAGE_MAINTAINER}")
# Each package's Description below starts with its own synopsis line; CPack would put the
# project's DESCRIPTION in front of every one of them otherwise.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "")
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)
# Installed with DESTDIR and the prefix /usr, so that the install itself sees the prefix the
# files will have (weft.pc's prefix= is written then).
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL cli lib dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)            # weft_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)             # Depends from the ELF files, by dpkg-shlibdeps
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)       # DEBIAN/shlibs for the runtime package
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")  # the SONAME changes when the ABI does
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)

set(CPACK_DEBIAN_CLI_PACKAGE_NAME weft)
set(CPACK_DEBIAN_CLI_PACKAGE_SECTION net)
set(CPACK_DEBIAN_CLI_DESCRIPTION "network programming toolkit: sockets, DNS, HTTP, packet decoding
The weft command runs TCP and UDP servers and clients, a DNS stub resolver,
iterative resolver and authoritative server, an HTTP/1.1 static-file server
and client, an IPv4 subnet calculator, and a decoder that shows captured
frames layer by layer (Ethernet, ARP, IPv4, ICMP, UDP, TCP, DHCP, DNS, HTTP).
Servers listen on loopback unless told otherwise. Man pages and bash
completion are included.")

set(CPACK_DEBIAN_LIB_PACKAGE_NAME ${weft_lib_package})
set(CPACK_POST_BUILD_SCRIPTS ${PROJECT_SOURCE_DIR}/cmake/DebLdconfigTrigger.cmake)
set(CPACK_DEBIAN_LIB_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_LIB_DESCRIPTION "C++20 network programming toolkit for Linux (shared library)
weft offers a blocking Socket as easy as Python's socket module, an epoll
event core with coroutines, byte-exact codecs for the packets of the TCP/IP
stack, and DNS and HTTP services built on them.
.
This package contains the shared library that programs built against
libweft-dev load at run time.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libweft-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# The headers need a C++20 standard library (<coroutine>, <span>, <concepts>); a program that
# links the static library links libpcap too (services/capture compiles filters with it).
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "${weft_lib_package} (= ${PROJECT_VERSION}), libstdc++-12-dev | libstdc++-dev, libpcap0.8-dev")
set(CPACK_DEBIAN_DEV_DESCRIPTION "C++20 network programming toolkit for Linux (development files)
weft offers a blocking Socket as easy as Python's socket module, an epoll
event core with coroutines, byte-exact codecs for the packets of the TCP/IP
stack, and DNS and HTTP services built on them.
.
This package contains the headers, the static library, the CMake package
(find_package(weft), targets weft::weft and weft::weft_shared), the
pkg-config file weft.pc and the example programs.")

# /usr/share/doc/<package>/: copyright and changelog in each package (Debian policy 12.5, 12.7),
# the examples in the -dev one. Only in component installs (EXCLUDE_FROM_ALL), so that a plain
# `cmake --install` does not scatter per-package directories under its prefix.
string(TIMESTAMP weft_changelog_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
set(weft_packages weft ${weft_lib_package} libweft-dev)  # in the order of CPACK_COMPONENTS_ALL
foreach(component package IN ZIP_LISTS CPACK_COMPONENTS_ALL weft_packages)
  set(doc ${PROJECT_BINARY_DIR}/packaging/${package})
  set(WEFT_PACKAGE_NAME ${package})
  configure_file(${PROJECT_SOURCE_DIR}/packaging/changelog.in ${doc}/changelog @ONLY)
  execute_process(COMMAND gzip -9 -n -f ${doc}/changelog RESULT_VARIABLE gzip_failed)
  if(gzip_failed)
    message(FATAL_ERROR "gzip -9n ${doc}/changelog failed")
  endif()
  install(FILES ${PROJECT_SOURCE_DIR}/packaging/copyright ${doc}/changelog.gz
          DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${package} COMPONENT ${component} EXCLUDE_FROM_ALL)
endforeach()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/ DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/libweft-dev/examples
        COMPONENT dev EXCLUDE_FROM_ALL)

include(CPack)

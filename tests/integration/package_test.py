"""The Debian packages, made from this build as `make package` makes them (cpack, into a
temporary directory), checked without installing them on this machine: their names, versions,
dependencies and contents, lintian (no error, no warning), and then, unpacked into a directory
as a DESTDIR install: weft.pc is valid, the packaged example builds both with find_package(weft)
and with `pkg-config --cflags --libs weft`, and both programs answer a question to the packaged
`weft dns serve`; bash completes `weft dn<TAB>` from the packaged completion file.

The same packages installed with apt-get on a fresh Debian 12 machine are `make package-test`
(scripts/package-test.sh: a debootstrap chroot, minutes rather than seconds)."""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
import bash_completion  # noqa: E402
import cli_help  # noqa: E402
from weft_testlib import SOURCE, WEFT, Server, check, main, require_tool, run  # noqa: E402

BUILD = os.environ.get("WEFT_BUILD_DIR", "")
WORK = tempfile.mkdtemp(prefix="weft-package-test-")
ROOT = os.path.join(WORK, "root")   # the packages unpacked, as if installed with DESTDIR=ROOT
state = {}


def sh(argv, what, **kw):
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300, **kw)
    check(proc.returncode == 0, "%s failed (exit %d):\n%s" % (what, proc.returncode, proc.stdout[-4000:]))
    return proc.stdout


def field(deb, name):
    return sh(["dpkg-deb", "-f", deb, name], "dpkg-deb -f").strip()


def contents(deb):
    """{path: (mode, owner, link target or None)} of a .deb, paths without the leading '.'."""
    files = {}
    for line in sh(["dpkg-deb", "-c", deb], "dpkg-deb -c").splitlines():
        parts = line.split(None, 5)
        path, _, target = parts[5].partition(" -> ")
        files[path[1:]] = (parts[0], parts[1], target or None)
    return files


def packages():
    """The three .debs, made once: {"cli": path, "lib": path, "dev": path}."""
    if "debs" in state:
        return state["debs"]
    require_tool("dpkg-shlibdeps", "dpkg-dev")
    require_tool("file", "file")
    out = os.path.join(WORK, "packages")
    sh(["cpack", "--config", os.path.join(BUILD, "CPackConfig.cmake"), "-B", out], "cpack")
    debs = sorted(glob.glob(os.path.join(out, "*.deb")))
    version = cli_help.version(WEFT).split()[1]
    arch = sh(["dpkg", "--print-architecture"], "dpkg").strip()
    names = {os.path.basename(d): d for d in debs}
    lib = [n for n in names if re.match(r"libweft\d[\d.]*_", n)]
    check(len(debs) == 3 and len(lib) == 1 and "weft_%s_%s.deb" % (version, arch) in names
          and "libweft-dev_%s_%s.deb" % (version, arch) in names,
          "cpack made %s, want weft, libweft<SOVERSION> and libweft-dev %s for %s" % (sorted(names), version, arch))
    state["debs"] = {"cli": names["weft_%s_%s.deb" % (version, arch)], "lib": names[lib[0]],
                     "dev": names["libweft-dev_%s_%s.deb" % (version, arch)]}
    state["version"] = version
    return state["debs"]


def unpacked():
    if not os.path.isdir(ROOT):
        for deb in packages().values():
            sh(["dpkg-deb", "-x", deb, ROOT], "dpkg-deb -x")
    return ROOT


def test_control_fields():
    debs = packages()
    version = state["version"]
    for deb in debs.values():
        check(field(deb, "Version") == version, "%s: Version %s, project %s" % (deb, field(deb, "Version"), version))
    lib_name = field(debs["lib"], "Package")
    # Debian names a runtime library package after its SONAME: libweft.so.0.1 -> libweft0.1.
    soname_line = [l for l in sh(["dpkg-deb", "-I", debs["lib"], "shlibs"], "shlibs").splitlines() if l.strip()]
    check(len(soname_line) == 1, "shlibs of %s: %s" % (lib_name, soname_line))
    lib, soversion, package = soname_line[0].split()[:3]
    check(lib == "libweft" and package == lib_name == "libweft" + soversion,
          "shlibs %r does not match the package name %s" % (soname_line[0], lib_name))
    for key in ("cli", "lib"):
        depends = field(debs[key], "Depends")
        check(re.search(r"\blibc6 \(>=", depends) and re.search(r"\blibstdc\+\+6 \(>=", depends),
              "%s: Depends %r lacks libc6/libstdc++6 (dpkg-shlibdeps)" % (key, depends))
    check("libweft" not in field(debs["cli"], "Depends"), "the CLI links libweft statically, yet depends on it")
    check(field(debs["dev"], "Depends").startswith("%s (= %s)" % (lib_name, version)),
          "libweft-dev must depend on exactly its runtime library: %r" % field(debs["dev"], "Depends"))


def test_contents():
    debs = packages()
    files = {key: contents(deb) for key, deb in debs.items()}
    for key, fs in files.items():
        package = field(debs[key], "Package")
        for path, (mode, owner, _) in fs.items():
            check(path == "/" or path.startswith("/usr/"), "%s ships %s outside /usr" % (package, path))
            check(owner == "root/root", "%s: %s is owned by %s" % (package, path, owner))
        for doc in ("copyright", "changelog.gz"):
            check("/usr/share/doc/%s/%s" % (package, doc) in fs, "%s has no /usr/share/doc/%s/%s" % (package, package, doc))
    cli = files["cli"]
    check("/usr/bin/weft" in cli, "weft has no /usr/bin/weft")
    pages = {"weft"} | {"weft-" + c.path[1] for c in cli_help.read(WEFT).subcommands}
    for page in pages:
        check("/usr/share/man/man1/%s.1.gz" % page in cli, "weft lacks the man page %s(1)" % page)
    check("/usr/share/bash-completion/completions/weft" in cli, "weft lacks its bash completion")
    lib = files["lib"]
    check(all(re.search(r"/libweft\.so\.[\d.]+$", p) or p.startswith("/usr/share/doc/") or p.endswith("/")
              for p in lib), "the runtime package holds more than the shared library: %s" % sorted(lib))
    dev = files["dev"]
    multiarch = sh(["dpkg-architecture", "-qDEB_HOST_MULTIARCH"], "dpkg-architecture").strip()
    libdir = "/usr/lib/" + multiarch
    for path in ("libweft.a", "pkgconfig/weft.pc", "cmake/weft/weftConfig.cmake", "cmake/weft/weftConfigVersion.cmake",
                 "cmake/weft/weftTargets.cmake"):
        check(libdir + "/" + path in dev, "libweft-dev lacks %s/%s" % (libdir, path))
    check(dev.get(libdir + "/libweft.so", (None, None, None))[2], "libweft-dev lacks the libweft.so link")
    headers = {os.path.relpath(h, os.path.join(SOURCE, "include"))
               for h in glob.glob(os.path.join(SOURCE, "include", "weft", "**", "*.hpp"), recursive=True)}
    missing = sorted(h for h in headers if "/usr/include/" + h not in dev)
    check(not missing, "libweft-dev lacks headers: %s" % missing)


def test_lintian():
    lintian = require_tool("lintian", "lintian")
    proc = subprocess.run([lintian, "--fail-on", "error,warning", *packages().values()],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    report = "\n".join(l for l in proc.stdout.splitlines() if "running with root privileges" not in l)
    print("lintian: %s" % (report or "no tags"))
    check(proc.returncode == 0, "lintian found errors or warnings:\n" + report)


def test_pkg_config_file():
    pkg_config = require_tool("pkg-config", "pkg-config")
    root = unpacked()
    pcs = glob.glob(os.path.join(root, "usr", "lib", "*", "pkgconfig", "weft.pc"))
    check(len(pcs) == 1, "weft.pc: %s" % pcs)
    sh([pkg_config, "--validate", pcs[0]], "pkg-config --validate")
    with open(pcs[0], encoding="utf-8") as f:
        check(re.search(r"^prefix=/usr$", f.read(), re.M), "the packaged weft.pc's prefix is not /usr")
    env = pc_env(root)
    check(sh([pkg_config, "--modversion", "weft"], "pkg-config --modversion", env=env).strip() == state["version"],
          "weft.pc's version is not the project's")
    flags = sh([pkg_config, "--cflags", "--libs", "weft"], "pkg-config --cflags --libs", env=env).split()
    check("-std=c++20" in flags and "-lweft" in flags, "pkg-config --cflags --libs weft: %s" % flags)


def pc_env(root):
    """pkg-config reading the unpacked packages as if they were installed: the sysroot prefixes
    every -I and -L, and no other .pc is seen."""
    return dict(os.environ, PKG_CONFIG_SYSROOT_DIR=root,
                PKG_CONFIG_LIBDIR=os.pathsep.join(glob.glob(os.path.join(root, "usr", "lib", "*", "pkgconfig"))))


def packaged_examples():
    src = os.path.join(unpacked(), "usr", "share", "doc", "libweft-dev", "examples")
    check(os.path.exists(os.path.join(src, "dns_lookup.cpp")), "libweft-dev ships no examples")
    return src


def test_example_with_find_package_and_pkg_config():
    require_tool("g++", "g++")
    require_tool("cmake", "cmake")
    root = unpacked()
    src = packaged_examples()
    # find_package(weft): the packaged examples/CMakeLists.txt, one program of it.
    build = os.path.join(WORK, "cmake-build")
    sh(["cmake", "-S", src, "-B", build, "-G", "Ninja", "-DCMAKE_PREFIX_PATH=" + os.path.join(root, "usr")],
       "cmake configure against the package")
    sh(["cmake", "--build", build, "--target", "dns_lookup"], "cmake --build dns_lookup")
    with_cmake = os.path.join(build, "examples", "dns_lookup")
    # pkg-config: the packaged examples/Makefile, one program of it.
    copy = os.path.join(WORK, "make-build")
    shutil.copytree(src, copy)
    sh(["make", "-C", copy, "dns_lookup"], "make dns_lookup with pkg-config", env=pc_env(root))
    with_pc = os.path.join(copy, "dns_lookup")
    libdir = os.path.dirname(glob.glob(os.path.join(root, "usr", "lib", "*", "libweft.so"))[0])
    ldd = sh(["ldd", with_pc], "ldd", env=dict(os.environ, LD_LIBRARY_PATH=libdir))
    check(re.search(r"libweft\.so\.\S+ => " + re.escape(libdir), ldd),
          "the pkg-config build does not load the packaged libweft.so:\n" + ldd)

    # Both answer a question to the packaged CLI serving the packaged zone.
    weft = os.path.join(root, "usr", "bin", "weft")
    zone = os.path.join(src, "dns_hierarchy", "example.test.zone")
    server = Server([weft, "dns", "serve", "--zone", zone, "--port", "0", "--threads", "1", "--quiet"])
    try:
        for program in (with_cmake, with_pc):
            rc, out, err = run(["env", "LD_LIBRARY_PATH=" + libdir, program, "www.example.test", "127.0.0.1",
                                str(server.port)])
            check(rc == 0 and b"198.18.0.10" in out, "%s: rc %d, %s %s" % (program, rc, out, err))
    finally:
        server.stop()


def test_packaged_completion():
    got = bash_completion.complete_all(os.path.join(unpacked(), "usr", "share"), [["dn"]])
    check(got == [["dns"]], "the packaged completion offers %s for weft dn<TAB>" % got)


if __name__ == "__main__":
    check(BUILD, "WEFT_BUILD_DIR is not set (run through ctest)")
    if os.environ.get("WEFT_SANITIZE") == "1":
        print("SKIP: the packages are made from the release build; a sanitized build is not packaged")
        sys.exit(77)
    try:
        main([test_control_fields, test_contents, test_lintian, test_pkg_config_file,
              test_example_with_find_package_and_pkg_config, test_packaged_completion])
    finally:
        shutil.rmtree(WORK, ignore_errors=True)

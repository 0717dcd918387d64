#pragma once
// From a request target to a path inside the document root, or a reason to refuse it.
//
// The target is percent-decoded exactly once and then normalised segment by segment, so an
// encoding cannot smuggle a segment past the checks: "%2e%2e" is "..", "%2f" is a separator
// like "/", and "%252e" decodes to the three characters "%2e", a file name like any other.
// A ".." that would climb above the root is refused rather than clamped, so a probe is seen
// for what it is (400) instead of quietly answered from the root.

#include <string>
#include <string_view>

#include "weft/expected.hpp"

namespace weft::http {

struct RequestPath {
    /// Normalised, relative to the root, no leading or trailing slash, no empty, "." or ".."
    /// segment: "" is the root itself, "docs/a b.txt" a file below it.
    std::string path;
    /// The decoded path ended in "/" (or "/." or "/.."): a directory was asked for, so a file
    /// there is not found and a directory is served rather than redirected.
    bool directory_form = false;
    /// The raw path as sent (origin form, before decoding), for a redirect's Location.
    std::string_view raw_path;
    /// What followed "?", without it; empty when there was none.
    std::string_view query;
};

/// Decodes an origin-form ("/a/b?q") or absolute-form ("http://host/a/b") target. The error is
/// one line saying what was wrong and at which byte of the target: a target that is not a
/// path, a '%' not followed by two hex digits, a NUL byte once decoded, or a ".." above the
/// root.
Expected<RequestPath, std::string> decode_request_path(std::string_view target);

/// Percent-encodes a path for a URL (keeps unreserved characters and '/').
std::string encode_path(std::string_view path);

}  // namespace weft::http

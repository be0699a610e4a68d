# Turns the web UI's files (web/) into a C++ source of byte arrays, so the binary
# serves them with no files on disk and no network (run by src/serve/CMakeLists.txt
# at build time: cmake -DOUT=file.cpp -DFILES=a|b|c -P embed_web_assets.cmake).
# Each entry carries its Content-Type and an ETag from the file's SHA-256.
string(REPLACE "|" ";" FILES "${FILES}")
set(arrays "")
set(table "")
set(i 0)
foreach(f IN LISTS FILES)
  get_filename_component(name "${f}" NAME)
  get_filename_component(ext "${f}" LAST_EXT)
  if(ext STREQUAL ".html")
    set(type "text/html; charset=utf-8")
  elseif(ext STREQUAL ".js")
    set(type "text/javascript; charset=utf-8")
  elseif(ext STREQUAL ".css")
    set(type "text/css; charset=utf-8")
  elseif(ext STREQUAL ".svg")
    set(type "image/svg+xml")
  elseif(ext STREQUAL ".png")
    set(type "image/png")
  else()
    message(FATAL_ERROR "web/${name}: no Content-Type known for '${ext}' (add it to embed_web_assets.cmake)")
  endif()
  file(READ "${f}" hex HEX)
  file(SHA256 "${f}" sha)
  string(LENGTH "${hex}" hex_len)
  math(EXPR size "${hex_len} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(SUBSTRING "${sha}" 0 32 etag)
  string(APPEND arrays "// web/${name}\nconst unsigned char k${i}[] = {\n${bytes}0};\n")
  string(APPEND table "    {\"${name}\", \"${type}\", {reinterpret_cast<const char*>(k${i}), ${size}}, \"\\\"${etag}\\\"\"},\n")
  math(EXPR i "${i} + 1")
endforeach()
set(content "// Generated at build time by src/serve/webui/embed_web_assets.cmake from web/: do not edit.
#include \"serve/webui/web_assets.h\"

namespace qvl::serve {
namespace {
${arrays}
const WebAsset kAssets[] = {
${table}};
}  // namespace

std::span<const WebAsset> web_assets() { return kAssets; }

}  // namespace qvl::serve
")
# Rewrite only on change, so an unchanged web/ does not recompile the file.
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
  if(old STREQUAL content)
    return()
  endif()
endif()
file(WRITE "${OUT}" "${content}")

# capz_add_plugin(<name> SOURCES <files...> [LIBS <libs...>])
# Builds <name>.so (the file name is the plugin name, which the descriptor's .name must equal;
# see docs/ABI.md) with hidden visibility so only the ABI entry symbol
# (marked CAPZ_PLUGIN_EXPORT) is exported. Used in-tree; the installed
# CapzSdkConfig.cmake provides the same function for third parties.
function(capz_add_plugin name)
  cmake_parse_arguments(P "" "" "SOURCES;LIBS" ${ARGN})
  if(NOT name MATCHES "^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
    message(FATAL_ERROR "capz_add_plugin(${name}): a plugin name is 1-63 of [a-z0-9-] (it is also the file name and the descriptor's name)")
  endif()
  add_library(${name} MODULE ${P_SOURCES})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    OUTPUT_NAME ${name}
    C_VISIBILITY_PRESET hidden
    LIBRARY_OUTPUT_DIRECTORY ${CAPZ_PLUGIN_OUTPUT_DIRECTORY})
  target_link_libraries(${name} PRIVATE capz-sdk ${P_LIBS})
  target_link_options(${name} PRIVATE -Wl,--no-undefined)
  # Installed next to capz-host's default search path (<prefix>/<libdir>/capz/plugins).
  install(TARGETS ${name} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/capz/plugins)
endfunction()

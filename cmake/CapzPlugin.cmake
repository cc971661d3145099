# capz_add_plugin(<name> SOURCES <files...> [LIBS <libs...>])
# Builds <name>.so with hidden visibility so only the ABI entry symbol
# (marked CAPZ_PLUGIN_EXPORT) is exported. Used in-tree; the installed
# CapzSdkConfig.cmake provides the same function for third parties.
function(capz_add_plugin name)
  cmake_parse_arguments(P "" "" "SOURCES;LIBS" ${ARGN})
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

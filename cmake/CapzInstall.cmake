# Install rules for the SDK: the library, public headers, capz-sdk.pc and the CMake package
# (CapzSdkConfig.cmake with capz_add_plugin). Included from sdk/CMakeLists.txt.
include(CMakePackageConfigHelpers)

install(TARGETS capz-sdk EXPORT CapzSdkTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# Only the public headers (sdk/include/capz/*.h); internal ones under sdk/src stay private.
install(DIRECTORY ${CMAKE_SOURCE_DIR}/sdk/include/capz DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")

# capz-sdk.pc: the prefix is only known at install time (cmake --install --prefix P), so
# the file is configured twice: now for everything else, then at install for the prefix.
set(CAPZ_PC_PREFIX "@CAPZ_PC_PREFIX@")
configure_file(${CMAKE_SOURCE_DIR}/cmake/capz-sdk.pc.in ${CMAKE_BINARY_DIR}/capz-sdk.pc.stage @ONLY)
install(CODE "
  set(CAPZ_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${CMAKE_BINARY_DIR}/capz-sdk.pc.stage\"
    \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig/capz-sdk.pc\" @ONLY)
  message(STATUS \"Installing: \$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig/capz-sdk.pc\")
")

set(CAPZ_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/CapzSdk)
install(EXPORT CapzSdkTargets NAMESPACE CapzSdk:: DESTINATION ${CAPZ_CMAKE_DIR})
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/CapzSdkConfig.cmake.in
  ${CMAKE_BINARY_DIR}/CapzSdkConfig.cmake
  INSTALL_DESTINATION ${CAPZ_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_LIBDIR)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/CapzSdkConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/CapzSdkConfig.cmake ${CMAKE_BINARY_DIR}/CapzSdkConfigVersion.cmake
  DESTINATION ${CAPZ_CMAKE_DIR})

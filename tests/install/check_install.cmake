cmake_minimum_required(VERSION 3.25)
# Installs the build into PREFIX (inside the build folder) and checks the tree: every file in
# place, icons of the right size, the binary runs, the desktop entry and AppStream file
# validate; then builds the .deb when dpkg-deb is present.
# Run as: cmake -DBUILD_DIR=... -DPREFIX=... -DVERSION=... -DICON_SIZES=... -P check_install.cmake
function(fail what)
    message(FATAL_ERROR "install check: ${what}")
endfunction()

string(REPLACE "," ";" ICON_SIZES "${ICON_SIZES}")
file(REMOVE_RECURSE ${PREFIX})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
    fail("cmake --install failed: ${out}")
endif()

set(app org.weightlens.WeightLens)
set(expected
    bin/weightlens
    bin/weightlens-gui
    share/applications/${app}.desktop
    share/metainfo/${app}.metainfo.xml
    share/mime/packages/weightlens.xml
    share/icons/hicolor/scalable/apps/weightlens.svg
    share/man/man1/weightlens.1
    share/bash-completion/completions/weightlens)
foreach(size ${ICON_SIZES})
    list(APPEND expected share/icons/hicolor/${size}x${size}/apps/weightlens.png)
endforeach()
foreach(f ${expected})
    if(NOT EXISTS ${PREFIX}/${f})
        fail("${PREFIX}/${f} was not installed")
    endif()
    file(SIZE ${PREFIX}/${f} size)
    if(size EQUAL 0)
        fail("${PREFIX}/${f} is empty")
    endif()
endforeach()

# Nothing else: test programs and build tools stay out of the installed tree.
file(GLOB_RECURSE installed RELATIVE ${PREFIX} ${PREFIX}/*)
foreach(f ${installed})
    if(NOT f IN_LIST expected)
        fail("unexpected installed file ${f}")
    endif()
endforeach()

# Each PNG is the size its folder names: the IHDR width and height, big-endian at byte 16.
foreach(size ${ICON_SIZES})
    set(png ${PREFIX}/share/icons/hicolor/${size}x${size}/apps/weightlens.png)
    file(READ ${png} magic LIMIT 8 HEX)
    if(NOT magic STREQUAL "89504e470d0a1a0a")
        fail("${png} is not a PNG")
    endif()
    file(READ ${png} dims OFFSET 16 LIMIT 8 HEX)
    math(EXPR want "${size}" OUTPUT_FORMAT HEXADECIMAL)
    string(SUBSTRING ${want} 2 -1 want)
    string(LENGTH ${want} n)
    math(EXPR pad "8 - ${n}")
    string(REPEAT 0 ${pad} zeros)
    if(NOT dims STREQUAL "${zeros}${want}${zeros}${want}")
        fail("${png} is not ${size}x${size} (IHDR ${dims})")
    endif()
endforeach()

execute_process(COMMAND ${PREFIX}/bin/weightlens --version OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT out STREQUAL "weightlens ${VERSION}\n")
    fail("installed weightlens --version said '${out}' (status ${rc})")
endif()

find_program(DESKTOP_FILE_VALIDATE desktop-file-validate)
if(DESKTOP_FILE_VALIDATE)
    execute_process(COMMAND ${DESKTOP_FILE_VALIDATE} ${PREFIX}/share/applications/${app}.desktop
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(NOT rc EQUAL 0 OR NOT out STREQUAL "")
        fail("desktop-file-validate: ${out}")
    endif()
else()
    message(STATUS "desktop-file-validate not found; not run")
endif()

find_program(APPSTREAMCLI appstreamcli)
if(APPSTREAMCLI)
    execute_process(COMMAND ${APPSTREAMCLI} validate --no-net
                            ${PREFIX}/share/metainfo/${app}.metainfo.xml
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(NOT rc EQUAL 0)
        fail("appstreamcli validate: ${out}")
    endif()
else()
    message(STATUS "appstreamcli not found; not run")
endif()

find_program(UPDATE_MIME_DATABASE update-mime-database)
if(UPDATE_MIME_DATABASE)
    execute_process(COMMAND ${UPDATE_MIME_DATABASE} ${PREFIX}/share/mime
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    # It notes on stderr that the prefix is not in XDG_DATA_DIRS: only the status counts.
    if(NOT rc EQUAL 0 OR NOT EXISTS ${PREFIX}/share/mime/application/x-keras.xml)
        fail("update-mime-database: ${out}")
    endif()
endif()

find_program(DPKG_DEB dpkg-deb)
if(DPKG_DEB)
    set(debdir ${PREFIX}-deb)
    file(REMOVE_RECURSE ${debdir})
    execute_process(COMMAND cpack -G DEB --config ${BUILD_DIR}/CPackConfig.cmake -B ${debdir}
                    WORKING_DIRECTORY ${BUILD_DIR}
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(NOT rc EQUAL 0)
        fail("cpack -G DEB: ${out}")
    endif()
    file(GLOB debs ${debdir}/*.deb)
    list(LENGTH debs n)
    if(NOT n EQUAL 1)
        fail("cpack made ${n} packages in ${debdir}")
    endif()
    execute_process(COMMAND ${DPKG_DEB} --field ${debs} Package Version Depends
                    OUTPUT_VARIABLE fields RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0 OR NOT fields MATCHES "Package: weightlens\nVersion: ${VERSION}\n")
        fail("${debs}: fields ${fields}")
    endif()
    # Dependencies come from the linked libraries.
    foreach(lib libqt6core6 libqt6widgets6 libc6)
        if(NOT fields MATCHES "Depends:.*${lib}")
            fail("${debs} does not depend on ${lib}: ${fields}")
        endif()
    endforeach()
    execute_process(COMMAND ${DPKG_DEB} --contents ${debs} OUTPUT_VARIABLE contents)
    foreach(f ${expected})
        if(NOT contents MATCHES "\\./usr/${f}\n")
            fail("${debs} lacks /usr/${f}")
        endif()
    endforeach()
    file(REMOVE_RECURSE ${debdir}/_CPack_Packages)
else()
    message(STATUS "dpkg-deb not found; no .deb built")
endif()

# sdk/isola-guest.cmake - build C guest programs for isola from CMake.
#
#   include(path/to/sdk/isola-guest.cmake)
#   isola_add_guest(NAME SRC... [LIBC] [DEPENDS FILE...] [FLAGS FLAG...])
#
# Compiles the sources with sdk/isola-cc into ${CMAKE_CURRENT_BINARY_DIR}/NAME.wasm,
# built by a target NAME (part of ALL). The wasm's path is the target's
# ISOLA_WASM property: $<TARGET_PROPERTY:NAME,ISOLA_WASM>. LIBC links
# wasi-libc (a WASI command); DEPENDS lists headers the sources include
# (custom commands do not scan includes); FLAGS go to isola-cc as they are.
#
# ISOLA_GUESTS_FOUND tells whether a wasm-capable clang was found; without
# one isola_add_guest does nothing, so callers can skip what needs guests.
include_guard(DIRECTORY)

set(ISOLA_SDK_DIR ${CMAKE_CURRENT_LIST_DIR})
find_program(ISOLA_WASM_CC NAMES clang-14 clang)
if(ISOLA_WASM_CC)
  set(ISOLA_GUESTS_FOUND TRUE)
else()
  set(ISOLA_GUESTS_FOUND FALSE)
  message(STATUS "isola-guest: no clang-14, wasm guests are not built")
endif()

function(isola_add_guest name)
  if(NOT ISOLA_GUESTS_FOUND)
    return()
  endif()
  cmake_parse_arguments(GUEST "LIBC" "" "DEPENDS;FLAGS" ${ARGN})
  set(sources)
  foreach(src ${GUEST_UNPARSED_ARGUMENTS})
    get_filename_component(abs ${src} ABSOLUTE)
    list(APPEND sources ${abs})
  endforeach()
  if(NOT sources)
    message(FATAL_ERROR "isola_add_guest(${name}): no source files")
  endif()
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${name}.wasm)
  set(mode)
  if(GUEST_LIBC)
    set(mode --libc)
  endif()
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E env ISOLA_WASM_CC=${ISOLA_WASM_CC}
            bash ${ISOLA_SDK_DIR}/isola-cc ${mode} -o ${out} ${sources} ${GUEST_FLAGS}
    DEPENDS ${sources} ${GUEST_DEPENDS} ${ISOLA_SDK_DIR}/isola.h ${ISOLA_SDK_DIR}/isola-cc
    COMMENT "isola guest ${name}.wasm"
    VERBATIM)
  add_custom_target(${name} ALL DEPENDS ${out})
  set_target_properties(${name} PROPERTIES ISOLA_WASM ${out})
endfunction()

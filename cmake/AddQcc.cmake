# Project wrappers around MLIR's CMake functions, so every qcc library is declared one way.

# add_qcc_library(name sources... [DEPENDS targets] [LINK_LIBS libs])
function(add_qcc_library name)
  add_mlir_library(${name} ${ARGN} DISABLE_INSTALL)
endfunction()

# add_qcc_tool(name sources... LINK_LIBS libs)
function(add_qcc_tool name)
  cmake_parse_arguments(ARG "" "" "LINK_LIBS" ${ARGN})
  add_llvm_executable(${name} ${ARG_UNPARSED_ARGUMENTS})
  target_link_libraries(${name} PRIVATE ${ARG_LINK_LIBS})
  llvm_update_compile_flags(${name})
endfunction()

# add_qcc_doc(td_file output_name gen_flag): Markdown docs from a .td file, into the build tree.
function(add_qcc_doc td_file output_name gen_flag)
  set(LLVM_TARGET_DEFINITIONS ${td_file})
  mlir_tablegen(${output_name}.md ${gen_flag} ${ARGN})
  set(generated "${CMAKE_CURRENT_BINARY_DIR}/${output_name}.md")
  set(destination "${CMAKE_BINARY_DIR}/docs/${output_name}.md")
  add_custom_command(OUTPUT ${destination}
                     COMMAND ${CMAKE_COMMAND} -E copy ${generated} ${destination}
                     DEPENDS ${generated})
  add_custom_target(qcc-doc-${output_name} DEPENDS ${destination})
  add_dependencies(qcc-doc qcc-doc-${output_name})
endfunction()

# grid_warnings(target): the warning set every target of ours builds with.
# GRID_WERROR turns them into errors; CI builds set it.
function(grid_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
    -Wnon-virtual-dtor -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough)
  if(GRID_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

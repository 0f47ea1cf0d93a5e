# grid_warnings(target): the warning set every target of ours builds with.
# GRID_WERROR turns them into errors; CI builds set it.
function(grid_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
    -Wnon-virtual-dtor -Woverloaded-virtual -Wimplicit-fallthrough
    # Designated initializers that name only the fields they change are the style for settings.
    -Wno-missing-field-initializers)
  if(GRID_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

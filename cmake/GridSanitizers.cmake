# With GRID_SANITIZE every target (ours and the tests) is built with ASan and UBSan.
# UBSan findings abort so that a test fails instead of printing and passing.
if(GRID_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

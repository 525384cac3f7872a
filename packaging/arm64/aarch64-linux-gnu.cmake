# CMake toolchain for cross-compiling llama.cpp to 64-bit ARM Linux (Raspberry Pi OS Bookworm
# and other arm64 Debian) with Debian's gcc-aarch64-linux-gnu / g++-aarch64-linux-gnu.
# Used by packaging/arm64-check.sh: the same portable build a Pi would compile, in minutes
# instead of the ~50 min it takes under emulation.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# Libraries and headers of the target only; programs (the build's own tools) from the host.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

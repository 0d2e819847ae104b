# Cross-compiles for 64-bit Arm Linux (glibc) with Debian's cross toolchain
# (g++-aarch64-linux-gnu, whose sysroot is /usr/aarch64-linux-gnu), and runs the resulting
# programs -- GoogleTest discovery and ctest -- under qemu-aarch64 (package qemu-user).
#   cmake -S . -B build-arm64 -G Ninja \
#     -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake -DAAE_RUNTIME_ONLY=ON
# Only the runtime layer cross-builds: the converter and CLI need fmt/CLI11/curl for arm64,
# which Debian's cross sysroot does not have (see docs/building.md).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(AAE_CROSS_TRIPLE aarch64-linux-gnu)
set(AAE_CROSS_SYSROOT /usr/${AAE_CROSS_TRIPLE} CACHE PATH
    "Target libraries and the dynamic loader for the emulator (qemu -L)")

set(CMAKE_C_COMPILER ${AAE_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${AAE_CROSS_TRIPLE}-g++)

# Headers, libraries and CMake packages come from the target sysroot only, never from the
# host's /usr (a host libgtest.a or libpcre2-8.so would link into an x86-64 archive);
# programs (ninja, pkg-config, qemu) come from the host.
set(CMAKE_FIND_ROOT_PATH ${AAE_CROSS_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# pkg-config is a host program: point it at the target's .pc folders (Debian multiarch and the
# cross sysroot) so it cannot return the host's flags.
set(ENV{PKG_CONFIG_LIBDIR}
    "/usr/lib/${AAE_CROSS_TRIPLE}/pkgconfig:${AAE_CROSS_SYSROOT}/lib/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

# Every target program (test discovery, ctest, add_custom_command on a target) runs through
# qemu user-mode emulation; -L makes it load the target's ld-linux-aarch64.so.1 and libstdc++.
find_program(AAE_QEMU_AARCH64 NAMES qemu-aarch64 qemu-aarch64-static)
if(AAE_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${AAE_QEMU_AARCH64};-L;${AAE_CROSS_SYSROOT}")
endif()

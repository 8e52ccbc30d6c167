# armhf-linux-musl: ARMv7 hard-float (Raspberry Pi 2/3/4 with a 32-bit OS,
# Cortex-A7/A9 routers). Debian's armhf compiler defaults to ARMv7-A,
# Thumb-2, VFPv3-D16, hard-float: the flags below only say so.
# Compiler here: Debian's musl-dev:armhf (multiarch; tools/deps.sh cross).
TARGET := armhf-linux-musl
MUSL_CC ?= arm-linux-musleabihf-gcc
GNU ?= arm-linux-gnueabihf
QEMU ?= qemu-arm-static
ARCH_CFLAGS ?= -march=armv7-a -mfpu=vfpv3-d16 -mfloat-abi=hard -mthumb
include $(dir $(lastword $(MAKEFILE_LIST)))musl.mk

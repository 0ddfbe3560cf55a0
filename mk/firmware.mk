# Firmware: host build + tests of the portable C core (firmware/esp32-gateway/components/ruuvi_core),
# a normal build and an AddressSanitizer + UBSan build, each run with ctest.
# The ESP-IDF image itself is built with idf.py (see firmware/README.md), not here.
.PHONY: test-firmware firmware-clean

FIRMWARE_HOST_SRC := firmware/host-test
FIRMWARE_BUILD_HOST := firmware/build-host
FIRMWARE_BUILD_ASAN := firmware/build-asan

test-firmware: ## build and ctest the firmware's C core on the host: normal and ASan+UBSan builds
	@command -v cmake >/dev/null || { echo "test-firmware: cmake is missing (Debian: cmake)" >&2; exit 1; }
	@echo "== firmware core: normal build ($(FIRMWARE_BUILD_HOST))"
	@cmake -S $(FIRMWARE_HOST_SRC) -B $(FIRMWARE_BUILD_HOST) -DCMAKE_BUILD_TYPE=Debug -DRUUVI_SANITIZE=OFF >/dev/null
	@cmake --build $(FIRMWARE_BUILD_HOST) --parallel
	@ctest --test-dir $(FIRMWARE_BUILD_HOST) --output-on-failure
	@echo "== firmware core: AddressSanitizer + UndefinedBehaviorSanitizer build ($(FIRMWARE_BUILD_ASAN))"
	@cmake -S $(FIRMWARE_HOST_SRC) -B $(FIRMWARE_BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DRUUVI_SANITIZE=ON >/dev/null
	@cmake --build $(FIRMWARE_BUILD_ASAN) --parallel
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --test-dir $(FIRMWARE_BUILD_ASAN) --output-on-failure

firmware-clean: ## remove the firmware host build directories
	@rm -rf $(FIRMWARE_BUILD_HOST) $(FIRMWARE_BUILD_ASAN)

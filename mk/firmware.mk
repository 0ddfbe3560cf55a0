# Firmware (firmware/README.md): the portable C core (firmware/esp32-gateway/components/ruuvi_core)
# built and tested on the host twice, normally and with AddressSanitizer + UBSan (unit tests,
# the shared vectors, the fuzzers); then the ESP-IDF glue (main/) type-checked against the real
# ESP-IDF v5.3.5 headers for an esp32 and an esp32c3 configuration, and the check's own test
# (planted mistakes must fail it). The image itself is built with idf.py, not here.
# IOTPIPE_VENDOR_DIR: where esp-idf-v5.3.5-headers.tar.gz is (default ../shared/vendor).
.PHONY: test-firmware firmware-host-tests firmware-glue-typecheck firmware-clean

FIRMWARE_HOST_SRC := firmware/host-test
FIRMWARE_BUILD_HOST := firmware/build-host
FIRMWARE_BUILD_ASAN := firmware/build-asan

test-firmware: firmware-host-tests firmware-glue-typecheck ## firmware: C core tests (normal + ASan/UBSan) and the ESP-IDF glue type-check

firmware-host-tests: ## build and ctest the firmware's C core on the host: normal and ASan+UBSan builds
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

firmware-glue-typecheck: ## type-check the ESP-IDF glue against ESP-IDF v5.3.5's headers (esp32, esp32c3), then prove the check fails on planted mistakes
	@echo "== firmware glue: type-check against the ESP-IDF v5.3.5 headers"
	@firmware/idf-typecheck/typecheck.sh
	@echo "== firmware glue: the type-check refuses planted mistakes"
	@firmware/idf-typecheck/typecheck.sh --plant-mistakes

firmware-clean: ## remove the firmware host build directories
	@rm -rf $(FIRMWARE_BUILD_HOST) $(FIRMWARE_BUILD_ASAN) firmware/build-idf-typecheck

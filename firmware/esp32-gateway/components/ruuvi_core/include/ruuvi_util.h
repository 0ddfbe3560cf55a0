/**
 * @file ruuvi_util.h
 * Hex and MAC helpers, and the MAC allow-list, portable C99.
 */
#ifndef RUUVI_UTIL_H
#define RUUVI_UTIL_H

#include "ruuvi_decode.h"

#ifdef __cplusplus
extern "C" {
#endif

/** "AA:BB:CC:DD:EE:FF" plus NUL. */
#define RUUVI_MAC_STR_LEN (18U)

/**
 * Parses hex (optional 0x prefix, any case; spaces, ':' and '-' ignored) into out.
 * Errors: RUUVI_ERR_EMPTY, RUUVI_ERR_INVALID_HEX, RUUVI_ERR_NO_SPACE, RUUVI_ERR_NULL.
 */
ruuvi_err_t ruuvi_hex_decode (const char * hex, uint8_t * out, size_t cap, size_t * p_len);

/** Upper-case hex of len bytes plus NUL; needs cap >= 2 * len + 1. */
ruuvi_err_t ruuvi_hex_encode (const uint8_t * bytes, size_t len, char * out, size_t cap);

/** Parses "AA:BB:CC:DD:EE:FF", "aa-bb-..." or "aabbccddeeff". */
ruuvi_err_t ruuvi_mac_parse (const char * str, uint8_t mac[RUUVI_MAC_LEN]);

/**
 * The MAC as printed (most significant byte first) from a BLE device address as BLE stacks
 * store it (NimBLE's ble_addr_t.val: least significant byte first, as sent over the air).
 */
void ruuvi_mac_from_ble_addr (const uint8_t addr_le[RUUVI_MAC_LEN], uint8_t mac[RUUVI_MAC_LEN]);

/** Formats a MAC as upper-case "AA:BB:CC:DD:EE:FF" (the Ruuvi Gateway's style). */
ruuvi_err_t ruuvi_mac_format (const uint8_t mac[RUUVI_MAC_LEN], char * out, size_t cap);

typedef struct
{
    uint8_t (*p_macs)[RUUVI_MAC_LEN]; /**< caller-provided storage */
    size_t  capacity;
    size_t  count;
} ruuvi_allowlist_t;

/**
 * Parses a comma/space separated list of MACs (e.g. from Kconfig) into caller storage.
 * An empty list allows every MAC. Fails on a malformed entry or when capacity is exceeded.
 */
ruuvi_err_t ruuvi_allowlist_parse (ruuvi_allowlist_t * p_list, uint8_t (*p_storage)[RUUVI_MAC_LEN],
                                   size_t capacity, const char * csv);

/** True when the list is empty or holds mac. */
bool ruuvi_allowlist_allows (const ruuvi_allowlist_t * p_list, const uint8_t mac[RUUVI_MAC_LEN]);

#ifdef __cplusplus
}
#endif

#endif /* RUUVI_UTIL_H */

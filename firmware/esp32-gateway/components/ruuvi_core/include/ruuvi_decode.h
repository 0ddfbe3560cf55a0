/**
 * @file ruuvi_decode.h
 * Portable C99 decoder for RuuviTag / Ruuvi Air advertisements: data formats 3 (RAWv1),
 * 5 (RAWv2), 6 and E1, found in a raw advertisement by walking its AD structures.
 *
 * Units follow the iotpipe Avro record: degC, %RH, Pa, g, V, dBm, ug/m3, ppm, index, lux.
 * A field that holds its format's documented "not available" value, or that the format does
 * not carry, is NAN. Error codes have the same names as the TypeScript RuuviDecodeError codes,
 * and both are checked against firmware/test-vectors/ruuvi.json.
 */
#ifndef RUUVI_DECODE_H
#define RUUVI_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RUUVI_COMPANY_ID          (0x0499U)
#define RUUVI_AD_TYPE_FLAGS       (0x01U)
#define RUUVI_AD_TYPE_MANUFACTURER (0xFFU)
#define RUUVI_MAC_LEN             (6U)
#define RUUVI_MAC_SUFFIX_LEN      (3U)

#define RUUVI_FORMAT_3  (0x03U)
#define RUUVI_FORMAT_5  (0x05U)
#define RUUVI_FORMAT_6  (0x06U)
#define RUUVI_FORMAT_E1 (0xE1U)

#define RUUVI_FORMAT_3_LEN  (14U)
#define RUUVI_FORMAT_5_LEN  (24U)
#define RUUVI_FORMAT_6_LEN  (20U)
#define RUUVI_FORMAT_E1_LEN (40U)

typedef enum
{
    RUUVI_OK = 0,
    RUUVI_ERR_EMPTY,                   /**< no bytes at all */
    RUUVI_ERR_INVALID_HEX,             /**< odd number of digits or a non-hex character */
    RUUVI_ERR_MALFORMED_ADVERTISEMENT, /**< an AD structure runs past the end */
    RUUVI_ERR_NOT_RUUVI,               /**< no manufacturer data with company id 0x0499 */
    RUUVI_ERR_UNSUPPORTED_FORMAT,      /**< data format byte is not 3, 5, 6 or E1 */
    RUUVI_ERR_TRUNCATED,               /**< fewer bytes than the data format needs */
    RUUVI_ERR_TOO_LONG,                /**< more bytes than the data format has */
    RUUVI_ERR_INVALID_MAC,             /**< a MAC string is not six hex octets */
    RUUVI_ERR_NULL,                    /**< a required pointer argument is NULL */
    RUUVI_ERR_NO_SPACE,                /**< the output buffer is too small */
    RUUVI_ERR_NOT_FOUND,               /**< no entry with that key (e.g. an unknown MQTT msg_id) */
    RUUVI_ERR_INVALID_SETTING          /**< a gateway setting is refused (ruuvi_settings_check) */
} ruuvi_err_t;

typedef struct
{
    uint8_t data_format;
    bool    has_mac; /**< full MAC: from the payload (5, E1) or the caller (3, 6) */
    uint8_t mac[RUUVI_MAC_LEN];
    bool    has_mac_suffix; /**< format 6 only: low 24 bits of the MAC */
    uint8_t mac_suffix[RUUVI_MAC_SUFFIX_LEN];
    double  temperature_c;
    double  humidity_rh;
    double  pressure_pa;
    double  acceleration_x_g;
    double  acceleration_y_g;
    double  acceleration_z_g;
    double  battery_v;
    double  tx_power_dbm;
    double  movement_counter;
    double  measurement_sequence;
    double  pm1_ugm3;
    double  pm25_ugm3;
    double  pm4_ugm3;
    double  pm10_ugm3;
    double  co2_ppm;
    double  voc_index;
    double  nox_index;
    double  luminosity_lux;
    bool    calibration_in_progress;
} ruuvi_measurement_t;

/** Stable upper-case name of an error code, e.g. "TRUNCATED". */
const char * ruuvi_err_name (ruuvi_err_t err);

/** Payload length of a supported data format, 0 for an unsupported one. */
size_t ruuvi_format_length (uint8_t data_format);

/**
 * Finds the Ruuvi payload (data format byte first) in a raw advertisement.
 * On success *p_payload points into adv and *p_len is its length.
 */
ruuvi_err_t ruuvi_find_payload (const uint8_t * adv, size_t adv_len,
                                const uint8_t ** p_payload, size_t * p_len);

/**
 * Decodes a payload (data format byte first). p_mac (may be NULL) is the advertiser address,
 * used when the payload carries no full MAC.
 */
ruuvi_err_t ruuvi_decode_payload (const uint8_t * payload, size_t len, const uint8_t * p_mac,
                                  ruuvi_measurement_t * p_out);

/** Decodes a whole advertisement. */
ruuvi_err_t ruuvi_decode_advertisement (const uint8_t * adv, size_t len, const uint8_t * p_mac,
                                        ruuvi_measurement_t * p_out);

/**
 * Decodes a bare payload (recognised by format byte and exact length), manufacturer data
 * starting with the company id (99 04) or a whole advertisement: the same rules as the
 * TypeScript decodeRuuvi().
 */
ruuvi_err_t ruuvi_decode_any (const uint8_t * bytes, size_t len, const uint8_t * p_mac,
                              ruuvi_measurement_t * p_out);

#ifdef __cplusplus
}
#endif

#endif /* RUUVI_DECODE_H */

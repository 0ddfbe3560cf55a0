/* Runs every case of firmware/test-vectors/ruuvi.json through the C decoder. */
#include "check.h"
#include "mini_json.h"
#include "ruuvi_decode.h"
#include "ruuvi_util.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BYTES         (256U)
#define RELATIVE_TOLERANCE (1e-9)

typedef struct
{
    const char * name;
    size_t       offset;
} double_field_t;

/* JSON field name -> measurement member; names are the TypeScript record's. */
static const double_field_t s_fields[] = {
    { "temperature", offsetof (ruuvi_measurement_t, temperature_c) },
    { "humidity", offsetof (ruuvi_measurement_t, humidity_rh) },
    { "pressure", offsetof (ruuvi_measurement_t, pressure_pa) },
    { "accelerationX", offsetof (ruuvi_measurement_t, acceleration_x_g) },
    { "accelerationY", offsetof (ruuvi_measurement_t, acceleration_y_g) },
    { "accelerationZ", offsetof (ruuvi_measurement_t, acceleration_z_g) },
    { "batteryVoltage", offsetof (ruuvi_measurement_t, battery_v) },
    { "txPower", offsetof (ruuvi_measurement_t, tx_power_dbm) },
    { "movementCounter", offsetof (ruuvi_measurement_t, movement_counter) },
    { "measurementSequence", offsetof (ruuvi_measurement_t, measurement_sequence) },
    { "pm1", offsetof (ruuvi_measurement_t, pm1_ugm3) },
    { "pm25", offsetof (ruuvi_measurement_t, pm25_ugm3) },
    { "pm4", offsetof (ruuvi_measurement_t, pm4_ugm3) },
    { "pm10", offsetof (ruuvi_measurement_t, pm10_ugm3) },
    { "co2", offsetof (ruuvi_measurement_t, co2_ppm) },
    { "voc", offsetof (ruuvi_measurement_t, voc_index) },
    { "nox", offsetof (ruuvi_measurement_t, nox_index) },
    { "luminosity", offsetof (ruuvi_measurement_t, luminosity_lux) },
};

static void lower_mac (const uint8_t * mac, size_t n, char * out)
{
    static const char hex[] = "0123456789abcdef";
    size_t j = 0;
    for (size_t i = 0; i < n; i++)
    {
        if (i > 0U)
        {
            out[j++] = ':';
        }
        out[j++] = hex[mac[i] >> 4];
        out[j++] = hex[mac[i] & 0x0FU];
    }
    out[j] = '\0';
}

/* Decodes a case's input (+ optional mac) the way the TypeScript decodeRuuvi() does. */
static ruuvi_err_t decode_case (const mj_value_t * c, ruuvi_measurement_t * p_m)
{
    const mj_value_t * input = mj_get (c, "input");
    const mj_value_t * mac = mj_get (c, "mac");
    uint8_t bytes[MAX_BYTES];
    size_t len = 0;
    uint8_t mac_bytes[RUUVI_MAC_LEN];
    if (NULL == input || MJ_STRING != input->type)
    {
        return RUUVI_ERR_NULL;
    }
    ruuvi_err_t err = ruuvi_hex_decode (input->string, bytes, sizeof (bytes), &len);
    if (RUUVI_OK != err)
    {
        return err;
    }
    if (NULL != mac)
    {
        err = ruuvi_mac_parse (mac->string, mac_bytes);
        if (RUUVI_OK != err)
        {
            return err;
        }
    }
    return ruuvi_decode_any (bytes, len, (NULL != mac) ? mac_bytes : NULL, p_m);
}

static void check_field (const char * name, const ruuvi_measurement_t * p_m, const mj_value_t * want)
{
    const char * key = want->key;
    if (0 == strcmp (key, "dataFormat"))
    {
        CHECK (MJ_NUMBER == want->type && (double) p_m->data_format == want->number, "%s: dataFormat %u",
               name, p_m->data_format);
        return;
    }
    if (0 == strcmp (key, "calibrationInProgress"))
    {
        CHECK (MJ_BOOL == want->type && p_m->calibration_in_progress == want->boolean,
               "%s: calibrationInProgress %d", name, (int) p_m->calibration_in_progress);
        return;
    }
    if (0 == strcmp (key, "mac") || 0 == strcmp (key, "macSuffix"))
    {
        const bool suffix = 0 == strcmp (key, "macSuffix");
        const bool has = suffix ? p_m->has_mac_suffix : p_m->has_mac;
        char got[RUUVI_MAC_STR_LEN];
        got[0] = '\0';
        if (has)
        {
            lower_mac (suffix ? p_m->mac_suffix : p_m->mac, suffix ? RUUVI_MAC_SUFFIX_LEN : RUUVI_MAC_LEN, got);
        }
        if (MJ_NULL == want->type)
        {
            CHECK (!has, "%s: %s should be null, got %s", name, key, got);
        }
        else
        {
            CHECK (has && 0 == strcmp (got, want->string), "%s: %s %s != %s", name, key, got, want->string);
        }
        return;
    }
    for (size_t i = 0; i < sizeof (s_fields) / sizeof (s_fields[0]); i++)
    {
        if (0 == strcmp (key, s_fields[i].name))
        {
            double got = 0.0;
            memcpy (&got, (const char *) p_m + s_fields[i].offset, sizeof (got));
            if (MJ_NULL == want->type)
            {
                CHECK (isnan (got), "%s: %s should be not available, got %.17g", name, key, got);
            }
            else
            {
                const double tol = RELATIVE_TOLERANCE * fmax (1.0, fabs (want->number));
                CHECK (MJ_NUMBER == want->type && fabs (got - want->number) <= tol, "%s: %s %.17g != %.17g", name,
                       key, got, want->number);
            }
            return;
        }
    }
    CHECK (0, "%s: the vector names a field the C decoder does not know: %s", name, key);
}

int main (int argc, char ** argv)
{
    if (argc < 2)
    {
        fprintf (stderr, "usage: %s ruuvi.json\n", argv[0]);
        return 2;
    }
    char * text = mj_read_file (argv[1]);
    CHECK (NULL != text, "cannot read %s", argv[1]);
    char err[128] = "";
    mj_value_t * doc = mj_parse (text, err, sizeof (err));
    CHECK (NULL != doc, "cannot parse %s: %s", argv[1], err);
    const mj_value_t * valid = mj_get (doc, "valid");
    const mj_value_t * invalid = mj_get (doc, "invalid");
    CHECK (NULL != valid && MJ_ARRAY == valid->type && valid->count > 0U, "no valid cases");
    CHECK (NULL != invalid && MJ_ARRAY == invalid->type && invalid->count > 0U, "no invalid cases");
    size_t n_valid = 0;
    size_t n_invalid = 0;
    for (size_t i = 0; NULL != valid && i < valid->count; i++)
    {
        const mj_value_t * c = &valid->children[i];
        const char * name = mj_get (c, "name")->string;
        const mj_value_t * expected = mj_get (c, "expected");
        ruuvi_measurement_t m;
        const ruuvi_err_t e = decode_case (c, &m);
        CHECK (RUUVI_OK == e, "%s: decode failed with %s", name, ruuvi_err_name (e));
        if (RUUVI_OK == e && NULL != expected)
        {
            for (size_t k = 0; k < expected->count; k++)
            {
                check_field (name, &m, &expected->children[k]);
            }
        }
        n_valid++;
    }
    for (size_t i = 0; NULL != invalid && i < invalid->count; i++)
    {
        const mj_value_t * c = &invalid->children[i];
        const char * name = mj_get (c, "name")->string;
        const char * want = mj_get (c, "error")->string;
        ruuvi_measurement_t m;
        const ruuvi_err_t e = decode_case (c, &m);
        CHECK (0 == strcmp (ruuvi_err_name (e), want), "%s: got %s, want %s", name, ruuvi_err_name (e), want);
        n_invalid++;
    }
    printf ("vectors: %zu valid, %zu invalid\n", n_valid, n_invalid);
    mj_free (doc);
    free (text);
    CHECK_DONE ("test_vectors");
}

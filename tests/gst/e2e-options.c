/* e2e-options.c — see e2e-options.h. */
#include "e2e-options.h"

#include "testutil.h"
#include "value.h"

/* The metadata keys that are infer.py options of the conversion, and the
 * riftsvc child that owns each. */
static const struct
{
  const gchar *key;
  const gchar *child;
} options[] = {
  {"target_loudness", "mel"},
  {"slicer_threshold", "mel"},
  {"slicer_min_length", "mel"},
  {"slicer_min_interval", "mel"},
  {"slicer_hop_size", "mel"},
  {"slicer_max_sil_kept", "mel"},
  {"key_shift", "f0"},
  {"speaker", "dit"},
  {"infer_steps", "dit"},
  {"ds_cfg_strength", "dit"},
  {"spk_cfg_strength", "dit"},
  {"skip_cfg_strength", "dit"},
  {"cfg_skip_layers", "dit"},
  {"cfg_rescale", "dit"},
  {"cvec_downsample_rate", "dit"},
  {"batch_size", "dit"},
  {"restore_loudness", "vocoder"},
  {"fade_duration", "vocoder"},
};

/* Calls `fn` with the option name ('-' for '_') and value of every option
 * `child` owns (NULL: all) that the metadata sets. */
static void
foreach_option (rift_weights * ref, const gchar * child,
    void (*fn) (const gchar * name, const gchar * value, gpointer user),
    gpointer user)
{
  const rift_value *meta = rift_weights_meta (ref);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (options); i++) {
    const gchar *value = rift_value_as_str (rift_value_get (meta,
            options[i].key));
    gchar *name;

    if (child && !g_str_equal (child, options[i].child))
      continue;
    if (value == NULL) {
      rift_test_true (FALSE, "%s has metadata '%s'", rift_weights_path (ref),
          options[i].key);
      continue;
    }
    if (g_str_equal (value, "null"))
      continue;
    name = g_strdelimit (g_strdup (options[i].key), "_", '-');
    fn (name, value, user);
    g_free (name);
  }
}

static void
append_launch (const gchar * name, const gchar * value, gpointer str)
{
  g_string_append_printf (str, " %s=\"%s\"", name, value);
}

gchar *
e2e_launch_options (rift_weights * ref, const gchar * child)
{
  GString *str = g_string_new (NULL);

  foreach_option (ref, child, append_launch, str);
  return g_string_free (str, FALSE);
}

static void
append_arg (const gchar * name, const gchar * value, gpointer argv)
{
  g_ptr_array_add (argv, g_strconcat ("--", name, NULL));
  g_ptr_array_add (argv, g_strdup (value));
}

void
e2e_infer_args (rift_weights * ref, GPtrArray * argv)
{
  foreach_option (ref, NULL, append_arg, argv);
}

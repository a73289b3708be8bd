package config_test

import (
	"fmt"

	"github.com/raisfast/wasmplug/runtime/services/config"
)

func Example() {
	// The [config] table of the plugin's manifest.toml, as a TOML decoder returns it.
	table := map[string]any{
		"api_url": "https://api.example.com",
		"retries": int64(3),
		"smtp":    map[string]any{"host": "mail.example.com"},
	}
	env := map[string]string{"PLUGIN_COM_EXAMPLE_MY_PLUGIN_API_URL": "http://localhost:8080"}
	cfg := config.New("com.example.my-plugin", table,
		config.Env{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}, // os.LookupEnv in a real host
	)
	for _, k := range []string{"api_url", "retries", "smtp", "smtp.host", "missing"} {
		v, ok := cfg.Get(k)
		fmt.Printf("%s = %q %v\n", k, v, ok)
	}
	// Output:
	// api_url = "http://localhost:8080" true
	// retries = "3" true
	// smtp = "{\"host\":\"mail.example.com\"}" true
	// smtp.host = "mail.example.com" true
	// missing = "" false
}

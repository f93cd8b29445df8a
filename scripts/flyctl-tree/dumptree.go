// Command dumptree builds flyctl's real cobra root command and writes its command tree as
// compact JSON: the data the template's doc tests check every `fly` command and flag against
// (tests/data/flyctl-commands.json). It never runs any command.
//
// It imports flyctl's internal packages, so it is built from inside a flyctl checkout:
// regenerate.sh copies it to <flyctl>/cmd/dumptree/main.go and runs
//
//	go run ./cmd/dumptree -version v0.4.87 -commit <sha> -o flyctl-commands.json
//
// Output: one command per line, so a flyctl bump shows as a readable diff.
//
//	{
//	  "flyctl_version": "v0.4.87",
//	  "flyctl_commit": "<sha>",
//	  "format": "...",
//	  "global_flags": {"access-token": "-t string", "help": "-h bool cobra", ...},
//	  "commands": {
//	    "": {...root...},
//	    "apps create": {"flags": {"org": "-o string", "name": "string", ...}},
//	    "metrics": {"hidden": true, "flags": {}},
//	    ...
//	  }
//	}
//
// A command's key is its path without the root name; "hidden" is the command's own flag
// (a hidden ancestor hides its subcommands too). Flags are the command's own plus inherited
// ones that are not global. A flag reads "[-<shorthand>] <type> [hidden] [deprecated]
// [alias-of=<flag>] [cobra]". Cobra's lazily added `help` and `completion` commands are left
// out; its --help flag is global and marked "cobra", --version is the root's.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/superfly/flyctl/internal/command/root"
)

const format = `commands: path (without "fly") -> {hidden, deprecated, aliases, flags}; ` +
	`a flag reads "[-<shorthand>] <type> [hidden] [deprecated] [alias-of=<flag>] [cobra]"; ` +
	`global_flags are accepted by every command; cobra's help and completion commands are left out`

type command struct {
	Aliases    []string          `json:"aliases,omitempty"`
	Deprecated bool              `json:"deprecated,omitempty"`
	Flags      map[string]string `json:"flags"`
	Hidden     bool              `json:"hidden,omitempty"`
}

func main() {
	version := flag.String("version", "unknown", "flyctl version (tag) to record in the output")
	commit := flag.String("commit", "", "source commit to record in the output")
	outPath := flag.String("o", "", "output file (default stdout)")
	flag.Parse()

	rootCmd := root.New()
	rootCmd.Use = "fly"
	// What cobra adds when a command runs, so the tree has the flags a user can type.
	rootCmd.InitDefaultHelpFlag()
	rootCmd.InitDefaultVersionFlag()

	globals := map[string]*pflag.Flag{}
	global := map[string]string{}
	rootCmd.PersistentFlags().VisitAll(func(f *pflag.Flag) {
		globals[f.Name] = f
		global[f.Name] = spec(f, "")
	})
	global["help"] = spec(rootCmd.Flags().Lookup("help"), "")

	commands := map[string]command{}
	var warnings []string
	walk(rootCmd, nil, func(c *cobra.Command, path []string) {
		c.InitDefaultHelpFlag()
		key := strings.Join(path, " ")
		info := command{Aliases: c.Aliases, Deprecated: c.Deprecated != "", Hidden: c.Hidden, Flags: map[string]string{}}
		// flyctl registers a flag's aliases as hidden flags of their own, named in the primary
		// flag's "flyctl_alias" annotation.
		aliasOf := map[string]string{}
		for _, set := range []*pflag.FlagSet{c.LocalFlags(), c.InheritedFlags()} {
			set.VisitAll(func(f *pflag.Flag) {
				for _, alias := range f.Annotations["flyctl_alias"] {
					aliasOf[alias] = f.Name
				}
			})
		}
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Name != "help" && globals[f.Name] != f {
				info.Flags[f.Name] = spec(f, aliasOf[f.Name])
			}
		})
		c.InheritedFlags().VisitAll(func(f *pflag.Flag) {
			if globals[f.Name] != f {
				info.Flags[f.Name] = spec(f, aliasOf[f.Name])
			}
		})
		if _, dup := commands[key]; dup {
			warnings = append(warnings, fmt.Sprintf("duplicate command path %q", key))
		}
		commands[key] = info
	})
	if len(warnings) > 0 {
		fmt.Fprintln(os.Stderr, "dumptree:", strings.Join(warnings, "; "))
		os.Exit(1)
	}

	var out bytes.Buffer
	field := func(name string, value any, last bool) {
		fmt.Fprintf(&out, "  %q: %s", name, marshal(value))
		if !last {
			out.WriteString(",")
		}
		out.WriteString("\n")
	}
	out.WriteString("{\n")
	field("flyctl_version", *version, false)
	field("flyctl_commit", *commit, false)
	field("format", format, false)
	field("global_flags", global, false)
	out.WriteString("  \"commands\": {\n")
	keys := make([]string, 0, len(commands))
	for key := range commands {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for i, key := range keys {
		fmt.Fprintf(&out, "    %q: %s", key, marshal(commands[key]))
		if i < len(keys)-1 {
			out.WriteString(",")
		}
		out.WriteString("\n")
	}
	out.WriteString("  }\n}\n")

	if *outPath == "" {
		_, err := os.Stdout.Write(out.Bytes())
		check(err)
	} else {
		check(os.WriteFile(*outPath, out.Bytes(), 0o644))
	}
	fmt.Fprintf(os.Stderr, "dumptree: flyctl %s: %d commands\n", *version, len(commands))
}

// walk visits every command but cobra's own `help` and `completion`, which cobra adds only
// when a command runs (and which are not flyctl's).
func walk(c *cobra.Command, path []string, fn func(*cobra.Command, []string)) {
	fn(c, path)
	for _, sub := range c.Commands() {
		walk(sub, append(append([]string{}, path...), sub.Name()), fn)
	}
}

// spec is a flag in one short string: "[-s] type [hidden] [deprecated] [alias-of=name] [cobra]".
func spec(f *pflag.Flag, aliasOf string) string {
	var parts []string
	if f.Shorthand != "" {
		parts = append(parts, "-"+f.Shorthand)
	}
	parts = append(parts, f.Value.Type())
	if f.Hidden {
		parts = append(parts, "hidden")
	}
	if f.Deprecated != "" {
		parts = append(parts, "deprecated")
	}
	if aliasOf != "" {
		parts = append(parts, "alias-of="+aliasOf)
	}
	if len(f.Annotations[cobra.FlagSetByCobraAnnotation]) > 0 {
		parts = append(parts, "cobra")
	}
	return strings.Join(parts, " ")
}

// marshal is json.Marshal on one line, leaving <, > and & as they are (they occur in "format").
func marshal(value any) []byte {
	var buf bytes.Buffer
	encoder := json.NewEncoder(&buf)
	encoder.SetEscapeHTML(false)
	check(encoder.Encode(value))
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "dumptree:", err)
		os.Exit(1)
	}
}

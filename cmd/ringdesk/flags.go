package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// flagSet makes a flag set whose flags default to their RINGDESK_* environment twins.
type flagSet struct {
	*flag.FlagSet
}

func newFlags(name string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &flagSet{fs}
}

// envName is the environment twin of a flag: --rtp-ports → RINGDESK_RTP_PORTS.
func envName(flagName string) string {
	return "RINGDESK_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func (f *flagSet) str(name, def, help string) *string {
	if v, ok := os.LookupEnv(envName(name)); ok {
		def = v
	}
	return f.String(name, def, help+" (env "+envName(name)+")")
}

// list is a flag that may be repeated, each value possibly a comma-separated list; its
// environment twin is a comma-separated list.
func (f *flagSet) list(name, help string) *[]string {
	l := &listValue{}
	if v, ok := os.LookupEnv(envName(name)); ok && v != "" {
		l.values = []string{v}
	}
	f.Var(l, name, help+" (repeatable or comma-separated; env "+envName(name)+")")
	return &l.values
}

type listValue struct {
	values []string
	set    bool // the command line replaces the environment's list rather than adding to it
}

func (l *listValue) String() string { return strings.Join(l.values, ",") }

func (l *listValue) Set(v string) error {
	if !l.set {
		l.values, l.set = nil, true
	}
	l.values = append(l.values, v)
	return nil
}

func (f *flagSet) parse(args []string) error {
	if err := f.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			f.SetOutput(os.Stdout)
			fmt.Fprintf(os.Stdout, "usage: ringdesk %s [flags]\n\n", f.Name())
			f.PrintDefaults()
			return helpShown{}
		}
		return usageError{fmt.Sprintf("%s: %v", f.Name(), err)}
	}
	if f.NArg() > 0 {
		return usageError{fmt.Sprintf("%s: unexpected argument %q", f.Name(), f.Arg(0))}
	}
	return nil
}

// helpShown: -h or --help printed a command's flags; nothing else is done and the exit is 0.
type helpShown struct{}

func (helpShown) Error() string { return "help shown" }

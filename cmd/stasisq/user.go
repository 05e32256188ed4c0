package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"stasisq/internal/cli"
	"stasisq/queue"
	"stasisq/store"
)

const userUsage = `usage: stasisq user <command> [flags]

  add LOGIN --role agent|supervisor|admin [--name NAME] [--password-stdin]
  passwd LOGIN [--password-stdin]
  list
  remove LOGIN

Every command takes --db (default $STASISQ_DB or stasisq.db). A password is
read from standard input with --password-stdin, or asked for twice on a
terminal; it is never taken from the command line, where ps would show it.`

// runUser is "stasisq user": logins on the database file, for the first
// administrator and for scripts. While "serve" runs it holds the file, and
// the console (Admin > Users) is the place to manage users.
func runUser(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stderr, userUsage)
		return flag.ErrHelp
	}
	cmd := args[0]
	fs := flag.NewFlagSet("stasisq user "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, userUsage) }
	db := fs.String("db", cli.Env("STASISQ_DB", "stasisq.db"), "bbolt database file ($STASISQ_DB)")
	role := fs.String("role", "", "agent, supervisor or admin")
	name := fs.String("name", "", "the name the console shows (default the login)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	login, err := cli.ParseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	wantLogin := cmd != "list"
	switch {
	case cmd != "add" && cmd != "passwd" && cmd != "list" && cmd != "remove":
		fmt.Fprintln(stderr, userUsage)
		return fmt.Errorf("unknown user command %q", cmd)
	case wantLogin && len(login) != 1:
		return fmt.Errorf("user %s: give exactly one login", cmd)
	case !wantLogin && len(login) != 0:
		return fmt.Errorf("user list: unexpected arguments %q", login)
	case cmd == "add" && !queue.Role(*role).Valid():
		return fmt.Errorf("user add: --role %q: want agent, supervisor or admin", *role)
	case cmd == "add" && !queue.ValidName(login[0]):
		return fmt.Errorf("user add: login %q: %s", login[0], queue.NameRule)
	}
	var password string
	if cmd == "add" || cmd == "passwd" {
		if password, err = cli.ReadPassword(stdin, stderr, *fromStdin); err != nil {
			return fmt.Errorf("user %s: %w", cmd, err)
		}
	}
	d, err := store.Open(*db, store.Options{Timeout: time.Second, CreateDir: cmd == "add"})
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("%w\nstasisq serve holds %s while it runs: manage users in the console (Admin > Users), or stop serve first", err, *db)
	}
	if err != nil {
		return err
	}
	defer d.Close()
	switch cmd {
	case "add":
		if _, err := d.User(ctx, login[0]); err == nil {
			return fmt.Errorf("user add: %s already exists: change its password with \"stasisq user passwd %s\"", login[0], login[0])
		}
		if *name == "" {
			*name = login[0]
		}
		if err := d.PutUser(ctx, queue.User{ID: login[0], Name: *name, Role: queue.Role(*role)}, password); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "added %s (%s)\n", login[0], *role)
	case "passwd":
		if err := d.SetPassword(ctx, login[0], password); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "password of %s changed\n", login[0])
	case "remove":
		if err := d.DeleteUser(ctx, login[0]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "removed %s\n", login[0])
	case "list":
		return listUsers(ctx, d, stdout)
	}
	return nil
}

func listUsers(ctx context.Context, d *store.DB, stdout io.Writer) error {
	agents, err := d.Agents(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LOGIN\tROLE\tNAME\tPHONE\tPASSWORD")
	for _, a := range agents {
		pw := "set"
		if len(a.PasswordHash) == 0 {
			pw = "none: stasisq user passwd " + a.Config.ID
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.Config.ID, a.Role, a.Config.Name, a.Config.Device, pw)
	}
	return tw.Flush()
}

/* ember-cli subcommands: one file each, listed once in main.c's table. */
#ifndef EMBER_CLI_COMMANDS_H
#define EMBER_CLI_COMMANDS_H

typedef struct {
    const char *name;
    const char *summary;
    /* argv[0] is the subcommand's name; returns the process exit status. */
    int (*run)(int argc, char **argv);
} em_cli_command;

/* one extern per command, e.g. extern const em_cli_command em_cli_cmd_info; */
extern const em_cli_command em_cli_cmd_tokenize;
extern const em_cli_command em_cli_cmd_chat_template;
extern const em_cli_command em_cli_cmd_info;
extern const em_cli_command em_cli_cmd_generate;
extern const em_cli_command em_cli_cmd_convert;
extern const em_cli_command em_cli_cmd_train;
extern const em_cli_command em_cli_cmd_sample;

#endif

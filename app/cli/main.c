/* ember-cli: the engine on the command line, without GTK. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const em_cli_command *const commands[] = {
    &em_cli_cmd_tokenize,
    &em_cli_cmd_chat_template,
    &em_cli_cmd_info,
    &em_cli_cmd_generate,
    &em_cli_cmd_convert,
    &em_cli_cmd_train,
    &em_cli_cmd_sample,
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f, "Usage: ember-cli COMMAND [OPTIONS...]\n\n"
               "Ember on the command line.\n\nCommands:\n");
    for (size_t i = 0; i < N_COMMANDS && commands[i]; i++)
        fprintf(f, "  %-15s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(f, "\nOptions:\n"
               "  --help          show this help\n"
               "  --version       show the version\n\n"
               "'ember-cli COMMAND --help' describes a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("ember-cli %s\n", EMBER_VERSION);
        return 0;
    }
    for (size_t i = 0; i < N_COMMANDS && commands[i]; i++)
        if (!strcmp(argv[1], commands[i]->name))
            return commands[i]->run(argc - 1, argv + 1);
    fprintf(stderr, "ember-cli: unknown command '%s' (see 'ember-cli --help')\n", argv[1]);
    return 2;
}

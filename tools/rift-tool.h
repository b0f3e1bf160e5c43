/* rift-tool.h — the subcommands of rift-tool (docs/rift-tool.md). */
#pragma once

int rift_cmd_inspect(int argc, char **argv);
int rift_cmd_run(int argc, char **argv);
int rift_cmd_bench(int argc, char **argv);
int rift_cmd_infer(int argc, char **argv);

package io.cubby.tools;

import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/**
 * {@code cubby completion}: the bash (and zsh) completion script.
 */
@Command(name = "completion", header = "Print the bash completion script.",
    description = {
        "Print a completion script for bash (also usable by zsh). Install it for this shell with " +
            "`source <(cubby completion)`, or save it: `cubby completion > /etc/bash_completion.d/cubby`."})
final class CompletionCommand implements Callable<Integer>
{
    @Spec
    private CommandSpec spec;

    @Override
    public Integer call()
    {
        final CommandSpec root = spec.root();
        spec.commandLine().getOut().print(AutoComplete.bash(root.name(), root.commandLine()));
        return ExitCode.OK;
    }
}

from django.apps import AppConfig


class AssistantConfig(AppConfig):
    name = "ascolto.assistant"
    label = "assistant"
    verbose_name = "Assistente virtuale"

    def ready(self) -> None:
        # Every app wires its listeners here, and only here (docs/architecture.md).
        from ascolto.assistant import receivers
        from ascolto.channels.assistants import set_assistant

        set_assistant(receivers.take_turns)

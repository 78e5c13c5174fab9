from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "ascolto.surveys"
    label = "surveys"
    verbose_name = "Ascolto: valutazioni e questionari"

    def ready(self) -> None:
        # Every app wires its listeners here, and only here (docs/architecture.md).
        from ascolto.channels.assistants import register_choices
        from ascolto.core import outbox
        from ascolto.surveys import receivers
        from ascolto.surveys.invitations import TAP_PREFIX

        outbox.register("ticket.resolved", receivers.invite_after_case)
        outbox.register("assistant.survey_answered", receivers.record_chat_answer)
        register_choices(TAP_PREFIX, receivers.answer_tap)

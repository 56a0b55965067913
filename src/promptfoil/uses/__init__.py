"""What people do with explanations: gate a model in CI (``gate``), red-team a chatbot
against a policy (``redteam``), compare with a plain LLM self-explanation (``baseline``),
summarise results (``metrics``), load shipped prompt sets (``datasets``), and reproduce the
paper's studies (``experiments``). Each builds on the core and the run loop; none is a stage.
"""

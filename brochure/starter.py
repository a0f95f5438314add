"""Starter: the files ``brochure new`` writes, so that nobody starts from an empty YAML file.

``brochure new [FOLDER]`` writes a handout (``content.yaml`` and its logo); with ``--project``,
a project folder: ``brochure.yaml`` (what the handouts share), one handout, its Spanish
translation (recorded as translated, see ``content.translated``), and ``locations.csv``
(one row per location). Each builds as it is, and each file says in comments what to change.
An existing file is never overwritten: then nothing is written at all.
"""

from __future__ import annotations

from pathlib import Path

from .files import write_together

LOGO = """\
<svg xmlns="http://www.w3.org/2000/svg" width="120" height="120" viewBox="0 0 120 120">
  <title>Your clinic's logo: replace this file with your own (SVG or PNG)</title>
  <circle cx="60" cy="60" r="56" fill="#1d5c73"/>
  <path d="M52 30h16v22h22v16H68v22H52V68H30V52h22z" fill="#ffffff"/>
</svg>
"""

HANDOUT = """\
# yaml-language-server: $schema={schema}content.schema.json
# A patient handout. Change the words, then build it with:  brochure build{target}
# Keys you may add are listed in the README (or typed with completion in an editor).

title: Your First Visit
subtitle: What to expect at {clinic}
lang: en-US
revised: {today}
review_by: {next_year}
status: draft
owner: Patient education team
{own}
intro: >-
  This page tells you what happens at your first visit. Read it before you come.
  If you have a question, call us at {{clinic.phone}}.

sections:
  - heading: Before you come
    body: |
      Eat a light meal two hours before your visit. Drink some water.

      - Bring a list of the pills you take.
      - Bring your insurance card.

  - heading: At the clinic
    body: |
      A nurse checks your blood pressure. Then you rest in a quiet room.{where}

  - heading: When to get help now
    body: |
      Call 911 if you have chest pain or trouble breathing. Call us at
      {{clinic.phone}} with any other question.
"""

CLINIC = """\
clinic:
  name: {clinic}
  phone: (555) 555-0100
  website: clinic.example
  logo: logo.svg
layout: handout
disclaimer: >-
  This handout is general information. It is not medical advice for you. Ask your care
  team about your own health.
"""

TRANSLATION = """\
# yaml-language-server: $schema=../content.schema.json
# The Spanish translation of first-visit.yaml (its name says so). It takes the clinic and the
# locations from the project and gives only its words. When you have translated a change
# to the English, run:  brochure translated handouts/first-visit.es.yaml

title: Su primera visita
subtitle: Qué esperar en {{clinic.name}}
slug: primera-visita
lang: es-US
revised: {today}
review_by: {next_year}
status: draft
disclaimer: >-
  Esta hoja es información general. No es un consejo médico para usted. Pregunte a su
  equipo de salud sobre su propia salud.

intro: >-
  Esta hoja explica lo que pasa en su primera visita. Léala antes de venir.
  Si tiene preguntas, llame al {{clinic.phone}}.

sections:
  - heading: Antes de venir
    body: |
      Coma algo ligero dos horas antes de su visita. Tome agua.

      - Traiga la lista de sus medicinas.
      - Traiga su tarjeta del seguro.

  - heading: En la clínica
    body: |
      Una enfermera le toma la presión. Luego usted descansa en un cuarto tranquilo.
      Estamos abiertos {{location.hours_es}}.

  - heading: Cuándo pedir ayuda ya
    body: |
      Llame al 911 si tiene dolor de pecho o le cuesta respirar. Llámenos al
      {{clinic.phone}} con cualquier otra pregunta.
"""

PROJECT = """\
# yaml-language-server: $schema=brochure.schema.json
# The project file: what every handout in this folder shares. Each .yaml file in this folder
# and below is a handout. Build them all, here, with:  brochure build
# The catalog of every handout is then out/index.html.

clinic:
  name: {clinic}
  phone: (555) 555-0100
  website: clinic.example
  logo: logo.svg

# Every handout is made once per location: one row each of locations.csv, with its own
# phone and address. Its other columns (hours) are the location's own: {{location.hours}}.
locations: locations.csv

# Document control: who keeps the handouts, and whether a --strict build (for the print shop)
# needs each one to say  status: approved.
owner: Patient education team
require_approval: false

disclaimer: >-
  This handout is general information. It is not medical advice for you. Ask your care
  team about your own health.

layout: handout
paper: letter
"""

LOCATIONS = """\
id,clinic.phone,clinic.address,hours,hours_es
main-street,(555) 555-0101,"100 Main Street
Springfield",Monday to Friday 8 to 5,"de lunes a viernes, de 8 a 5"
river-road,(555) 555-0102,"20 River Road
Springfield",Monday to Saturday 7 to 3,"de lunes a sábado, de 7 a 3"
"""


def plan(folder: Path, project: bool, schema: str, today: str, next_year: str) -> dict[Path, str]:
    """The files ``new`` writes into ``folder`` and their text."""
    clinic = "Your Clinic"
    values = {"clinic": clinic, "today": today, "next_year": next_year}
    if not project:
        return {folder / "content.yaml": HANDOUT.format(
                    schema=schema, target="" if folder == Path(".") else f" {folder / 'content.yaml'}",
                    own=CLINIC.format(clinic=clinic), where="", **values),
                folder / "logo.svg": LOGO}
    return {folder / "brochure.yaml": PROJECT.format(clinic=clinic),
            folder / "locations.csv": LOCATIONS,
            folder / "logo.svg": LOGO,
            folder / "handouts" / "first-visit.yaml": HANDOUT.format(
                schema="../", target="", own="", where="\n      We are open {location.hours}.", **values),
            folder / "handouts" / "first-visit.es.yaml": TRANSLATION.format(**values)}


def write(files: dict[Path, str]) -> list[Path]:
    """Write ``files``, all or none; an existing one is refused (``FileExistsError``) first."""
    existing = [path for path in files if path.exists() or path.is_symlink()]
    if existing:
        raise FileExistsError(17, "already exists", str(existing[0]))
    write_together({path: text.encode() for path, text in files.items()})
    return list(files)

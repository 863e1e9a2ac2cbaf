from setuptools import find_packages, setup


def readme() -> str:
    with open('README.md', encoding='utf-8') as f:
        return f.read()


def requirements(path: str) -> list:
    with open(path, encoding='utf-8') as f:
        return [ln.strip() for ln in f if ln.strip() and not ln.startswith('#')]


setup(
    name='stisr_mmocr',
    version='0.1.0',
    description='Scene text image super-resolution (TSRN, C3-STISR, STIRER) for MMOCR',
    long_description=readme(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=('stisr_mmocr', 'stisr_mmocr.*')),
    python_requires='>=3.9',
    install_requires=requirements('requirements/runtime.txt'),
    extras_require=dict(tests=requirements('requirements/tests.txt')),
    license='Apache License 2.0',
)
